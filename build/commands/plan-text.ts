/**
 * The plan as people read it: steps with their commands, packages, outputs, the keys of the
 * cached stages, budget. A size marked `<=` is an upper bound.
 */
import { quoteArgv } from '../core/errors.js';
import type { FlashBudget } from '../budget.js';
import type { StepDescription } from '../core/step.js';
import type { Plan } from '../pipeline.js';

const group = (n: number): string => n.toLocaleString('en-US');

export function formatPlan(plan: Plan): string {
  const kernel = plan.kernel.package
    ? `${plan.kernel.package} ${plan.kernel.version} (from ${plan.kernel.suite ?? 'the mirror'})`
    : `unknown: ${plan.kernel.reason}`;
  const lines = [
    `Plan for ${plan.board} (${plan.arch}), Debian ${plan.suite}, bootstrapped with ${plan.bootstrapper}`,
    `Mirror:   ${plan.mirror} (from ${plan.mirrorSource})`,
    `Security: ${plan.securityMirror ?? 'none'}`,
    `Kernel:   ${kernel}`,
    '',
    'Steps:',
    ...plan.steps.flatMap((step, i) => formatStep(step, i + 1)),
    '',
    `Packages (${plan.packages.length}): ${plan.packages.join(' ')}`,
    '',
    'Outputs:',
    ...plan.outputs.map((output) => `  ${output.path.padEnd(Math.max(...plan.outputs.map((o) => o.path.length)))}  ${output.description}`),
    '',
    'Cache keys:',
    ...Object.entries(plan.cacheKeys).map(([stage, key]) => `  ${stage.padEnd(7)}${key}`),
    '',
    ...formatBudget(plan.budget),
    ...(plan.warnings.length > 0 ? ['', 'Warnings:', ...plan.warnings.map((warning) => `  - ${warning}`)] : []),
  ];
  return `${lines.join('\n')}\n`;
}

function formatStep(step: StepDescription, n: number): string[] {
  const lines = [`  ${n}. ${step.id}: ${step.title}${step.cacheKey ? `  [cache ${step.cacheKey.slice(0, 12)}]` : ''}`];
  for (const command of step.commands) {
    lines.push(`       $ ${quoteArgv(command.argv)}`);
    if (command.stdin) lines.push(...command.stdin.trimEnd().split('\n').map((line) => `         < ${line}`));
  }
  for (const path of step.writes) lines.push(`       writes ${path}`);
  for (const note of step.notes) lines.push(`       - ${note}`);
  return lines;
}

function formatBudget(budget: FlashBudget): string[] {
  const lines = ['Flash budget:'];
  if (budget.status === 'not-applicable') return [...lines, `  ${budget.message}`];
  for (const part of budget.parts) {
    const size = part.bytes === undefined ? 'unknown' : `${part.source === 'upper-bound' ? '<=' : ''}${group(part.bytes)} B`;
    lines.push(`  ${part.name.padEnd(10)}${size.padStart(14)}  ${part.note ?? ''}`.trimEnd());
  }
  if (budget.blobBytes !== undefined) lines.push(`  ${'uImage'.padEnd(10)}${`${budget.upperBound ? '<=' : ''}${group(budget.blobBytes)} B`.padStart(14)}  header, size table and parts`);
  if (budget.readWindow && budget.partition) {
    lines.push(`  read window ${group(budget.readWindow.bytes)} B (${budget.readWindow.variables.join('/')}${budget.readWindow.confirmed ? '' : ', stock value unconfirmed'}); partition ${budget.partition.name} ${group(budget.partition.bytes)} B`);
  }
  const mark = { fits: 'OK', 'exceeds-read-window': 'WARNING', 'exceeds-partition': 'ERROR', unknown: 'UNKNOWN' }[budget.status];
  lines.push(`  ${mark}: ${budget.message}`);
  return lines;
}
