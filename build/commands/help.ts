/**
 * What `mcdebian --help`, `mcdebian <command> --help` and a group's `--help` print: the
 * commands with their summaries, and a command's usage with every flag it takes.
 */
import type { Command, CommandEntry, CommandGroup, Flag } from '../core/command.js';

/** Every command takes --debug: stack traces for expected errors too. */
export const debugFlag: Flag = { type: 'boolean', description: 'print stack traces for expected errors too' };

function table(rows: readonly [string, string][]): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd());
}

/** The list of commands. */
export function formatUsage(commands: Record<string, CommandEntry>): string {
  const rows = Object.entries(commands).map(([name, command]): [string, string] => [name, command.summary]);
  return ['Usage: mcdebian <command> [options]', '', 'Commands:', ...table(rows), '', 'mcdebian <command> --help shows a command\'s options.', ''].join('\n');
}

function flagName(name: string, flag: Flag): string {
  const long = `${flag.short ? `-${flag.short}, ` : ''}--${name}`;
  return flag.type === 'string' ? `${long} ${flag.value ?? 'VALUE'}` : long;
}

/** One command's usage, summary and flags. */
export function formatCommandHelp(command: Command): string {
  const flags = Object.entries({ ...command.flags, debug: debugFlag }).map(([name, flag]): [string, string] => [flagName(name, flag), flag.description]);
  return [`Usage: ${command.usage}`, '', command.summary, '', 'Flags:', ...table(flags), ''].join('\n');
}

/** A group's subcommands, each with its usage. */
export function formatGroupHelp(name: string, group: CommandGroup): string {
  const lines = [`Usage: mcdebian ${name} <${Object.keys(group.subcommands).join('|')}> ...`, '', group.summary, '', 'Commands:'];
  for (const [sub, command] of Object.entries(group.subcommands)) lines.push(`  ${sub}: ${command.summary}`, `    ${command.usage.replaceAll('\n', '\n    ')}`);
  lines.push('', `mcdebian ${name} <command> --help shows its flags.`, '');
  return lines.join('\n');
}
