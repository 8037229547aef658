/**
 * The command table: each command's flags (for node:util parseArgs), its usage line and how it
 * runs. build/cli.ts parses argv against this table and handles every error.
 */
import type { ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors.js';
import type { Bootstrapper } from '../../rootfs/bootstrap.js';
import { runBoards } from './boards.js';
import type { CommandContext, ExitCode } from './context.js';
import { runDoctor } from './doctor.js';
import { runPlan } from './plan.js';

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, { hint });
    this.name = 'UsageError';
  }
}

type Values = Record<string, string | boolean | undefined>;

export interface Command {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(context: CommandContext, values: Values): Promise<ExitCode> | ExitCode;
}

const BOOTSTRAPPERS: readonly Bootstrapper[] = ['mmdebstrap', 'debootstrap'];

function bootstrapper(values: Values): Bootstrapper {
  const value = (values.bootstrapper as string | undefined) ?? 'mmdebstrap';
  if (!(BOOTSTRAPPERS as string[]).includes(value)) {
    throw new UsageError(`--bootstrapper must be one of ${BOOTSTRAPPERS.join(', ')}, not "${value}"`);
  }
  return value as Bootstrapper;
}

const debug = { type: 'boolean' } as const;
const json = { type: 'boolean' } as const;
const board = { type: 'string', short: 'b' } as const;

export const commands: Record<string, Command> = {
  boards: {
    summary: 'list the boards, with kernel read window and kernel partition',
    usage: 'mcdebian boards [--json]',
    options: { json, debug },
    run: (context, values) => runBoards(context, { json: values.json === true }),
  },
  plan: {
    summary: 'print the build plan: steps, commands, packages, outputs, cache keys, flash budget',
    usage: 'mcdebian plan --board ID [-c FILE] [--json] [--offline] [--bootstrapper mmdebstrap|debootstrap]',
    options: { board, config: { type: 'string', short: 'c' }, json, offline: { type: 'boolean' }, bootstrapper: { type: 'string' }, debug },
    run: (context, values) => {
      if (values.board === undefined && values.config === undefined) {
        throw new UsageError('plan needs --board ID or -c FILE', 'mcdebian boards lists the board ids');
      }
      return runPlan(context, {
        board: values.board as string | undefined,
        config: values.config as string | undefined,
        json: values.json === true,
        offline: values.offline === true,
        bootstrapper: bootstrapper(values),
      });
    },
  },
  doctor: {
    summary: 'check the host prerequisites and print the apt-get line for what is missing',
    usage: 'mcdebian doctor [--board ID] [--bootstrapper mmdebstrap|debootstrap] [--json] [--packages]',
    options: { board, bootstrapper: { type: 'string' }, json, packages: { type: 'boolean' }, debug },
    run: (context, values) => runDoctor(context, {
      board: values.board as string | undefined,
      bootstrapper: bootstrapper(values),
      json: values.json === true,
      packages: values.packages === true,
    }),
  },
};
