/**
 * The command table: each command's flags (for node:util parseArgs), its usage line and how it
 * runs. build/cli.ts parses argv against this table and handles every error.
 */
import type { ParseArgsConfig } from 'node:util';
import { UserError } from '../core/errors.js';
import type { Bootstrapper } from '../../rootfs/bootstrap.js';
import { runBoards } from './boards.js';
import { runBoot } from './boot.js';
import { parseForward } from '../boot.js';
import { runBuild } from './build.js';
import { runClean } from './clean.js';
import type { CommandContext, ExitCode } from './context.js';
import { runHashPassword, runImport } from './dns-blacklist.js';
import { runDoctor } from './doctor.js';
import { runFlashUsb } from './flash.js';
import { runFlashSftp } from './flash-sftp.js';
import { runFlashTftp } from './flash-tftp.js';
import { runOverlays } from './overlays.js';
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
  /** How many positional arguments the command takes (none when absent). */
  positionals?: { min: number; max: number };
  run(context: CommandContext, values: Values, positionals: string[]): Promise<ExitCode> | ExitCode;
}

const BOOTSTRAPPERS: readonly Bootstrapper[] = ['mmdebstrap', 'debootstrap'];

function bootstrapper(values: Values): Bootstrapper {
  const value = (values.bootstrapper as string | undefined) ?? 'mmdebstrap';
  if (!(BOOTSTRAPPERS as string[]).includes(value)) {
    throw new UsageError(`--bootstrapper must be one of ${BOOTSTRAPPERS.join(', ')}, not "${value}"`);
  }
  return value as Bootstrapper;
}

/** The flags plan and build share, checked the same way. */
function planOptions(command: string, values: Values) {
  if (values.board === undefined && values.config === undefined) {
    throw new UsageError(`${command} needs --board ID or -c FILE`, 'mcdebian boards lists the board ids');
  }
  return {
    board: values.board as string | undefined,
    config: values.config as string | undefined,
    json: values.json === true,
    offline: values.offline === true,
    bootstrapper: bootstrapper(values),
  };
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
  overlays: {
    summary: 'list the service overlays with their config fields and defaults',
    usage: 'mcdebian overlays [--json]',
    options: { json, debug },
    run: (context, values) => runOverlays(context, { json: values.json === true }),
  },
  plan: {
    summary: 'print the build plan: steps, commands, packages, outputs, cache keys, flash budget',
    usage: 'mcdebian plan --board ID [-c FILE] [--json] [--offline] [--bootstrapper mmdebstrap|debootstrap]',
    options: { board, config: { type: 'string', short: 'c' }, json, offline: { type: 'boolean' }, bootstrapper: { type: 'string' }, debug },
    run: (context, values) => runPlan(context, planOptions('plan', values)),
  },
  build: {
    summary: 'build the image: root filesystem, kernel blob, rootfs.tar/.ext4, usb.img or disk.img, manifest',
    usage: 'mcdebian build --board ID [-c FILE] [--explain] [--json] [--offline] [--bootstrapper mmdebstrap|debootstrap]',
    options: { board, config: { type: 'string', short: 'c' }, explain: { type: 'boolean' }, json, offline: { type: 'boolean' }, bootstrapper: { type: 'string' }, debug },
    run: (context, values) => runBuild(context, { ...planOptions('build', values), explain: values.explain === true }),
  },
  boot: {
    summary: 'boot the built image under QEMU, console attached (qemu-armhf, x86-64)',
    usage: 'mcdebian boot --board qemu-armhf|x86-64 [-c FILE] [--ssh-port N] [--forward tcp|udp:HOSTPORT:GUESTPORT ...] [--flash-disk FILE] [--monitor SOCKET] [--serial-socket SOCKET]',
    options: {
      board, config: { type: 'string', short: 'c' }, 'ssh-port': { type: 'string' }, forward: { type: 'string', multiple: true },
      'flash-disk': { type: 'string' }, monitor: { type: 'string' }, 'serial-socket': { type: 'string' }, debug,
    },
    run: (context, values) => {
      const port = Number(values['ssh-port'] ?? 2222);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--ssh-port must be a TCP port number, not "${values['ssh-port']}"`);
      if (values.board === undefined && values.config === undefined) throw new UsageError('boot needs --board ID or -c FILE');
      const forwards = ((values.forward ?? []) as unknown as string[]).map((text) => {
        const forward = parseForward(text);
        if (!forward) throw new UsageError(`--forward must be tcp:HOSTPORT:GUESTPORT or udp:HOSTPORT:GUESTPORT, not "${text}"`);
        return forward;
      });
      return runBoot(context, {
        board: values.board as string | undefined, config: values.config as string | undefined, sshPort: port, forwards,
        flashDisk: values['flash-disk'] as string | undefined, monitor: values.monitor as string | undefined,
        serialSocket: values['serial-socket'] as string | undefined,
      });
    },
  },
  clean: {
    summary: 'empty the stage cache',
    usage: 'mcdebian clean',
    options: { debug },
    run: (context) => runClean(context),
  },
  'dns-blacklist': {
    summary: 'hash-password: make the admin password\'s hash line; import FILE: send a hosts-format list to a device',
    usage: 'mcdebian dns-blacklist hash-password < password | mcdebian dns-blacklist import FILE --api URL --password-file F [--user admin] [--json]',
    options: { api: { type: 'string' }, user: { type: 'string' }, 'password-file': { type: 'string' }, json, debug },
    positionals: { min: 1, max: 2 },
    run: (context, values, [action, file]) => {
      if (action === 'hash-password' && file === undefined) return runHashPassword(context, process.stdin);
      if (action === 'import' && file !== undefined) {
        if (typeof values.api !== 'string' || typeof values['password-file'] !== 'string') throw new UsageError('dns-blacklist import needs --api URL and --password-file FILE');
        return runImport(context, { file, api: values.api, user: (values.user as string | undefined) ?? 'admin', passwordFile: values['password-file'], json: values.json === true });
      }
      throw new UsageError(`dns-blacklist: expected hash-password or import FILE, not "${[action, file].filter(Boolean).join(' ')}"`);
    },
  },
  flash: {
    summary: 'flash usb|sftp|tftp: write a USB stick, or a router\'s inactive kernel slot over SSH or from U-Boot\'s console and TFTP',
    usage: [
      'mcdebian flash usb --device DEV [-c FILE | --board ID] [--image PATH] [--force] [--json]',
      '       mcdebian flash sftp --host H (-c FILE | --board ID) [--image PATH] [--port N] [--user U] [--identity FILE]',
      '                           [--known-hosts FILE] [--accept-new-host-key] [--health-timeout SECONDS] [--rootfs [--keep PATH ...]] [--dry-run] [--json]',
      '       mcdebian flash tftp (-c FILE | --board ID) --serial DEV|unix:PATH|tcp:HOST:PORT [--image PATH] [--slot 1|2]',
      '                           [--ipaddr A] [--serverip B] [--listen ADDR[:PORT]] [--log FILE] [--dry-run] [--json]',
    ].join('\n'),
    options: {
      device: { type: 'string' }, board, config: { type: 'string', short: 'c' }, image: { type: 'string' }, force: { type: 'boolean' }, json, debug,
      host: { type: 'string' }, port: { type: 'string' }, user: { type: 'string' }, identity: { type: 'string' }, 'known-hosts': { type: 'string' },
      'accept-new-host-key': { type: 'boolean' }, 'health-timeout': { type: 'string' }, 'dry-run': { type: 'boolean' },
      rootfs: { type: 'boolean' }, keep: { type: 'string', multiple: true },
      serial: { type: 'string' }, slot: { type: 'string' }, ipaddr: { type: 'string' }, serverip: { type: 'string' }, listen: { type: 'string' }, log: { type: 'string' },
    },
    positionals: { min: 1, max: 1 },
    run: (context, values, [transport]) => {
      if (transport === 'usb') return flashUsb(context, values);
      if (transport === 'sftp') return flashSftpCommand(context, values);
      if (transport === 'tftp') return flashTftpCommand(context, values);
      throw new UsageError(`flash: the transport is usb, sftp or tftp, not "${transport}"`, 'usage: mcdebian flash usb --device DEV ... | mcdebian flash sftp --host H ... | mcdebian flash tftp --serial DEV ...');
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

function flashUsb(context: CommandContext, values: Values) {
  if (typeof values.device !== 'string') throw new UsageError('flash usb needs --device DEV', 'lsblk lists the block devices, e.g. --device /dev/sdb');
  if (values.image === undefined && values.board === undefined && values.config === undefined) throw new UsageError('flash usb needs --board ID, -c FILE or --image PATH');
  return runFlashUsb(context, { device: values.device, image: values.image as string | undefined, board: values.board as string | undefined, config: values.config as string | undefined, force: values.force === true, json: values.json === true });
}

/** A whole number within limits, or a usage error naming the flag. */
function integerFlag(values: Values, name: string, fallback: number, min: number, max: number): number {
  const text = values[name];
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${String(text)}"`);
  return value;
}

function flashSftpCommand(context: CommandContext, values: Values) {
  if (typeof values.host !== 'string') throw new UsageError('flash sftp needs --host H', 'the router\'s address, e.g. --host 192.168.1.1');
  if (values.board === undefined && values.config === undefined) throw new UsageError('flash sftp needs --board ID or -c FILE: preflight checks the device against the board');
  if (values.keep !== undefined && values.rootfs !== true) throw new UsageError('--keep goes with --rootfs: it names what a root filesystem update keeps');
  return runFlashSftp(context, {
    host: values.host,
    port: integerFlag(values, 'port', 22, 1, 65535),
    user: (values.user as string | undefined) ?? 'root',
    board: values.board as string | undefined,
    config: values.config as string | undefined,
    image: values.image as string | undefined,
    identity: values.identity as string | undefined,
    knownHosts: values['known-hosts'] as string | undefined,
    acceptNewHostKey: values['accept-new-host-key'] === true,
    healthTimeoutSeconds: integerFlag(values, 'health-timeout', 600, 30, 86_400),
    dryRun: values['dry-run'] === true,
    json: values.json === true,
    rootfs: values.rootfs === true,
    keep: (values.keep ?? []) as unknown as string[],
  });
}

function flashTftpCommand(context: CommandContext, values: Values) {
  if (values.board === undefined && values.config === undefined) throw new UsageError('flash tftp needs --board ID or -c FILE: the board decides the U-Boot commands');
  const dryRun = values['dry-run'] === true;
  if (typeof values.serial !== 'string' && !dryRun) throw new UsageError('flash tftp needs --serial DEV, unix:PATH or tcp:HOST:PORT', 'the USB serial adapter on the router\'s console header, e.g. --serial /dev/ttyUSB0');
  if (values.slot !== undefined && values.slot !== '1' && values.slot !== '2') throw new UsageError(`--slot must be 1 or 2, not "${String(values.slot)}"`);
  return runFlashTftp(context, {
    board: values.board as string | undefined,
    config: values.config as string | undefined,
    serial: values.serial as string | undefined,
    image: values.image as string | undefined,
    slot: values.slot === undefined ? undefined : (Number(values.slot) as 1 | 2),
    ipaddr: values.ipaddr as string | undefined,
    serverip: values.serverip as string | undefined,
    listen: values.listen as string | undefined,
    log: values.log as string | undefined,
    dryRun,
    json: values.json === true,
  });
}
