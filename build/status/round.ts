/**
 * One round of commands on a device: a POSIX sh script run over one SSH exec that runs every
 * command with its own stdout, stderr and exit code, and the parse of its output back into
 * them. Between outputs stands a line with a boundary made fresh for each round (as a MIME
 * multipart boundary, RFC 2046 §5.1.1), so no command's output can be taken for a marker. A
 * group of commands runs only when the device has its unit loaded (an overlay that is not in
 * the image), and each command is bounded by coreutils' timeout.
 */
import { randomBytes } from 'node:crypto';
import { shellQuote } from '../../flash/slot-commands.js';
import type { DeviceOutput } from '../../overlays/overlay.js';
import { UserError } from '../core/errors.js';

/** A group of commands: the system's, or one overlay's. */
export interface RoundGroup {
  /** A word: letters, digits, hyphens. */
  name: string;
  /** Run the group only when systemd has this unit loaded. */
  unit?: string;
  commands: readonly string[];
}

/** A group's outputs, in the order of its commands; none when its unit is not on the device. */
export interface GroupOutputs {
  present: boolean;
  outputs: DeviceOutput[];
}

/** Seconds one command may take before timeout(1) stops it (exit 124). */
const COMMAND_SECONDS = 60;

export const newBoundary = () => `mcdebian-round-${randomBytes(12).toString('hex')}`;

/** Every marker is preceded by a newline of its own, so output without a final newline stays whole. */
const mark = (boundary: string, text: string) => `printf '\\n%s\\n' ${shellQuote(`${boundary} ${text}`)}`;

function commandLines(boundary: string, group: RoundGroup): string[] {
  return group.commands.flatMap((command, index) => [
    mark(boundary, `${group.name} ${index} stdout`),
    `timeout ${COMMAND_SECONDS} sh -c ${shellQuote(command)} </dev/null 2>"$err"`,
    'code=$?',
    mark(boundary, `${group.name} ${index} stderr`),
    'cat "$err"',
    `printf '\\n%s\\n' "${boundary} ${group.name} ${index} exit $code"`,
  ]);
}

/** The script, for `sh -s` on the device. */
export function roundScript(groups: readonly RoundGroup[], boundary: string): string {
  const lines = ['err=$(mktemp) || exit 1', 'trap \'rm -f "$err"\' EXIT'];
  for (const group of groups) {
    const body = [mark(boundary, `${group.name} present`), ...commandLines(boundary, group)];
    if (group.unit === undefined) lines.push(...body);
    else {
      lines.push(`if [ "$(systemctl show -p LoadState --value -- ${shellQuote(group.unit)} 2>/dev/null)" = loaded ]; then`, ...body.map((line) => `  ${line}`));
      lines.push('else', `  ${mark(boundary, `${group.name} absent`)}`, 'fi');
    }
  }
  lines.push(mark(boundary, 'end'));
  return `${lines.join('\n')}\n`;
}

/** The outputs of a round, by group name; throws when the output was cut short. */
export function parseRound(output: string, groups: readonly RoundGroup[], boundary: string): Map<string, GroupOutputs> {
  // split() with a capturing group alternates text and marker: [before, marker, text, marker, text...]
  const parts = output.split(new RegExp(`\\n${boundary} ([^\\n]*)\\n`));
  const result = new Map<string, GroupOutputs>();
  let current: DeviceOutput | undefined;
  let ended = false;
  for (let i = 1; i < parts.length; i += 2) {
    // "end", "GROUP present|absent", "GROUP INDEX stdout|stderr", "GROUP INDEX exit CODE"
    const [name = '', second = '', third = '', code] = parts[i]!.split(' ');
    const what = second === 'present' || second === 'absent' ? second : third;
    const text = parts[i + 1] ?? '';
    if (name === 'end') ended = true;
    else if (what === 'present' || what === 'absent') result.set(name, { present: what === 'present', outputs: [] });
    else if (what === 'stdout') {
      current = { stdout: text, stderr: '', code: -1 };
      result.get(name)?.outputs.push(current);
    } else if (what === 'stderr' && current) current.stderr = text;
    else if (what === 'exit' && current) current.code = Number(code);
  }
  const missing = groups.filter((group) => !result.has(group.name)).map((group) => group.name);
  if (!ended || missing.length > 0) {
    throw new UserError(`the device's answer ended early${missing.length > 0 ? ` (nothing for ${missing.join(', ')})` : ''}: ${output.slice(-300).trim()}`, {
      hint: 'the connection may have dropped; run mcdebian status again',
    });
  }
  return result;
}
