#!/usr/bin/env node
/**
 * The mcdebian command line: parses argv, runs the command, and is the only place that prints
 * final errors and sets the exit code. Exit codes: 0 success, 1 failure the user can fix
 * (config, missing tool, a build that cannot fit), 2 usage error, 70 internal error (a bug),
 * 130 interrupted (Ctrl-C).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isCommandGroup, UsageError, type Command, type CommandGroup, type FlagValues } from './core/command.js';
import { InterruptedError, UserError } from './core/errors.js';
import { createStreamLogger } from './core/log.js';
import { didYouMean } from '../overlays/runtime/suggest.js';
import { debugFlag, formatCommandHelp, formatGroupHelp, formatUsage } from './commands/help.js';
import { commands } from './commands/index.js';

const EXIT_USAGE = 2;
const EXIT_INTERNAL = 70;
const EXIT_INTERRUPTED = 130;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const wantsHelp = (args: readonly string[]) => args.includes('--help') || args.includes('-h');

/** The subcommand of a group named by the first argument, or a usage error saying what is expected. */
function subcommandOf(name: string, group: CommandGroup, word: string | undefined): Command {
  const found = word === undefined ? undefined : group.subcommands[word];
  if (found) return found;
  const names = Object.keys(group.subcommands);
  const hint = `mcdebian ${name} --help lists them`;
  if (word === undefined || word.startsWith('-')) throw new UsageError(`${name}: expected ${group.expected}`, hint);
  throw new UsageError(`${name}: expected ${group.expected}, not "${word}"${didYouMean(word, names)}`, hint);
}

/**
 * A flag the command does not take: name the sibling subcommands that do, so `flash usb --serial`
 * says it is tftp's; else suggest the nearest of the command's own flags, as config keys get.
 */
function unknownFlagMessage(label: string, message: string, options: { command: Command; group?: CommandGroup }): string {
  const flag = /Unknown option '(--?[\w-]+)'/.exec(message)?.[1];
  if (!flag) return `${label}: ${message}`;
  const name = flag.replace(/^--?/, '');
  const owners = Object.entries(options.group?.subcommands ?? {}).filter(([, command]) => Object.hasOwn(command.flags, name)).map(([sub]) => `${label.split(' ')[0]} ${sub}`);
  if (owners.length > 0) return `${label}: ${flag} is not a flag of ${label}; it belongs to ${owners.join(' and ')}`;
  // one-letter flags are too short to guess from
  const suggestion = flag.startsWith('--') ? didYouMean(name, Object.keys({ ...options.command.flags, debug: debugFlag })).replace(/"([^"]+)"/g, '"--$1"') : '';
  return `${label}: unknown flag ${flag}${suggestion}`;
}

function parseFlags(label: string, command: Command, args: string[], group?: CommandGroup): { values: FlagValues; positionals: string[] } {
  const options = Object.fromEntries(Object.entries({ ...command.flags, debug: debugFlag }).map(([name, { description: _description, value: _value, ...option }]) => [name, option]));
  let parsed: { values: FlagValues; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: command.positionals !== undefined }) as typeof parsed;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? '';
    throw new UsageError(unknownFlagMessage(label, message, { command, group }), `usage: ${command.usage}`);
  }
  const allowed = command.positionals;
  if (allowed && (parsed.positionals.length < allowed.min || parsed.positionals.length > allowed.max)) {
    throw new UsageError(`${label}: expected ${allowed.min === allowed.max ? allowed.min : `${allowed.min} to ${allowed.max}`} arguments, got ${parsed.positionals.length}`, `usage: ${command.usage}`);
  }
  return parsed;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(formatUsage(commands));
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(formatUsage(commands));
    return 0;
  }
  if (name === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const entry = commands[name];
  if (!entry) throw new UsageError(`unknown command "${name}"${didYouMean(name, Object.keys(commands))}`, 'mcdebian --help lists the commands');
  let command: Command;
  let label = name;
  let args = rest;
  let group: CommandGroup | undefined;
  if (isCommandGroup(entry)) {
    group = entry;
    if (wantsHelp(rest.slice(0, 1))) {
      process.stdout.write(formatGroupHelp(name, entry));
      return 0;
    }
    command = subcommandOf(name, entry, rest[0]);
    label = `${name} ${rest[0]}`;
    args = rest.slice(1);
  } else {
    command = entry;
  }
  if (wantsHelp(args)) {
    process.stdout.write(formatCommandHelp(command));
    return 0;
  }
  const { values, positionals } = parseFlags(label, command, args, group);
  debugEnabled = values.debug === true;
  const logger = createStreamLogger(process.stderr, { debug: debugEnabled });
  return command.run({ stdout: process.stdout, stdin: process.stdin, logger, env: process.env, cwd: process.cwd() }, values, positionals);
}

let debugEnabled = process.argv.includes('--debug');

function report(error: unknown): number {
  if (error instanceof UserError) {
    process.stderr.write(`error: ${error.message}\n`);
    if (error.hint) process.stderr.write(`hint: ${error.hint}\n`);
    if (debugEnabled && error.stack) process.stderr.write(`${error.stack}\n`);
    if (error instanceof InterruptedError) return EXIT_INTERRUPTED;
    return error instanceof UsageError ? EXIT_USAGE : 1;
  }
  process.stderr.write(`internal error (a bug in McDebian, please report it):\n${error instanceof Error ? error.stack : String(error)}\n`);
  return EXIT_INTERNAL;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => { process.exitCode = report(error); },
);
