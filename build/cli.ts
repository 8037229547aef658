#!/usr/bin/env node
/**
 * The mcdebian command line: parses argv, runs the command, and is the only place that prints
 * final errors and sets the exit code. Exit codes: 0 success, 1 failure the user can fix
 * (config, missing tool, a build that cannot fit), 2 usage error, 70 internal error (a bug),
 * 130 interrupted (Ctrl-C).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { InterruptedError, UserError } from './core/errors.js';
import { createStreamLogger } from './core/log.js';
import { didYouMean } from './core/suggest.js';
import { commands, UsageError } from './commands/index.js';

const EXIT_USAGE = 2;
const EXIT_INTERNAL = 70;
const EXIT_INTERRUPTED = 130;

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length));
  const list = Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`);
  return ['Usage: mcdebian <command> [options]', '', 'Commands:', ...list, '', 'mcdebian <command> --help shows a command\'s options.', ''].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(usage());
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  if (name === '--version') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"${didYouMean(name, Object.keys(commands))}`, 'mcdebian --help lists the commands');
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n`);
    return 0;
  }
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: rest, options: command.options, strict: true, allowPositionals: command.positionals !== undefined });
    values = parsed.values as typeof values;
    positionals = parsed.positionals;
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message.split('\n')[0]}`, `usage: ${command.usage}`);
  }
  const allowed = command.positionals;
  if (allowed && (positionals.length < allowed.min || positionals.length > allowed.max)) {
    throw new UsageError(`${name}: expected ${allowed.min === allowed.max ? allowed.min : `${allowed.min} to ${allowed.max}`} arguments, got ${positionals.length}`, `usage: ${command.usage}`);
  }
  debugEnabled = values.debug === true;
  const logger = createStreamLogger(process.stderr, { debug: debugEnabled });
  return command.run({ stdout: process.stdout, logger, env: process.env, cwd: process.cwd() }, values, positionals);
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
