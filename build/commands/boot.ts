/**
 * `mcdebian boot`: boots the built image under QEMU (qemu-armhf, x86-64), attached to this
 * terminal (boot-run.ts) or in the background until SSH answers (--detach, boot-detach.ts); and
 * stops or lists the background guests (--stop, --status: boot-stop.ts). The guest's SSH server
 * is forwarded to 127.0.0.1:<ssh-port>, --forward adds more ports; --link adds a NIC wired to
 * another guest (guest-link.ts).
 */
import { parseForward } from '../boot.js';
import { LINK_FORM, parseLink, type GuestLink } from '../guest-link.js';
import { commonFlags, integerFlag, listFlag, stringFlag, UsageError, type Command, type FlagValues } from '../core/command.js';
import { runDetachedBoot } from './boot-detach.js';
import { runBoot } from './boot-run.js';
import type { BootOptions } from './boot-setup.js';
import { runStatus, runStop } from './boot-stop.js';

/** The flags each way of running takes besides --board, -c and --json. */
const GUEST_FLAGS = ['ssh-port', 'forward', 'link', 'flash-disk', 'monitor', 'serial-socket'];
const MODE_FLAGS: Record<'attached' | 'detach' | 'stop' | 'status', string[]> = {
  attached: GUEST_FLAGS,
  detach: [...GUEST_FLAGS, 'ready-timeout', 'json'],
  stop: ['grace', 'json'],
  status: ['json'],
};

/** Which way of running the flags ask for; a usage error for two at once or a flag the way does not take. */
function modeOf(values: FlagValues): keyof typeof MODE_FLAGS {
  const modes = (['detach', 'stop', 'status'] as const).filter((mode) => values[mode] === true);
  if (modes.length > 1) throw new UsageError(`--${modes[0]} and --${modes[1]} cannot be combined`);
  const mode = modes[0] ?? 'attached';
  if (mode === 'status' && (values.board !== undefined || values.config !== undefined)) throw new UsageError('--status lists the guests of every board; it takes no --board or -c');
  const shared = ['board', 'config', 'debug', mode];
  const stray = Object.keys(values).filter((name) => values[name] !== undefined && !shared.includes(name) && !MODE_FLAGS[mode].includes(name));
  if (stray.length > 0) {
    const takers = (Object.keys(MODE_FLAGS) as (keyof typeof MODE_FLAGS)[]).filter((other) => MODE_FLAGS[other].includes(stray[0]!)).map((other) => (other === 'attached' ? 'boot' : `boot --${other}`));
    throw new UsageError(`--${stray[0]} does not go with ${mode === 'attached' ? 'an attached boot' : `--${mode}`}; ${takers.join(' and ')} take${takers.length === 1 ? 's' : ''} it`);
  }
  return mode;
}

/** The --link flags; a usage error names a malformed one, or two that give one MAC. */
function linksOf(values: FlagValues): GuestLink[] {
  const links = listFlag(values, 'link').map((text) => {
    const link = parseLink(text);
    if (!link) throw new UsageError(`--link must be ${LINK_FORM} (two different ports from 1 to 65535, a unicast MAC), not "${text}"`);
    return link;
  });
  const repeated = links.find((link, index) => links.findIndex((other) => other.mac === link.mac) < index);
  if (repeated) throw new UsageError(`--link: two links have the MAC ${repeated.mac}; give each its own with ,mac=`);
  return links;
}

function guestOptions(values: FlagValues): BootOptions {
  const forwards = listFlag(values, 'forward').map((text) => {
    const forward = parseForward(text);
    if (!forward) throw new UsageError(`--forward must be tcp:HOSTPORT:GUESTPORT or udp:HOSTPORT:GUESTPORT, not "${text}"`);
    return forward;
  });
  return {
    board: stringFlag(values, 'board'),
    config: stringFlag(values, 'config'),
    sshPort: integerFlag(values, 'ssh-port', { fallback: 2222, min: 1, max: 65535 }),
    forwards,
    links: linksOf(values),
    flashDisk: stringFlag(values, 'flash-disk'),
    monitor: stringFlag(values, 'monitor'),
    serialSocket: stringFlag(values, 'serial-socket'),
  };
}

export const bootCommand: Command = {
  summary: 'boot the built image under QEMU, attached or in the background (qemu-armhf, x86-64)',
  usage: [
    'mcdebian boot --board qemu-armhf|x86-64 [-c FILE] [--ssh-port N] [--forward tcp|udp:HOSTPORT:GUESTPORT ...] [--link udp:LOCALPORT:PEERPORT[,mac=MAC] ...] [--flash-disk FILE] [--monitor SOCKET] [--serial-socket SOCKET]',
    '       mcdebian boot --detach (--board ID | -c FILE) [--ready-timeout SECONDS] [--json] [the flags above]',
    '       mcdebian boot --stop (--board ID | -c FILE) [--grace SECONDS] [--json]',
    '       mcdebian boot --status [--json]',
  ].join('\n'),
  flags: {
    board: commonFlags.board,
    config: commonFlags.config,
    'ssh-port': { type: 'string', value: 'N', description: 'the host port on 127.0.0.1 that leads to the guest\'s SSH server (default 2222)' },
    forward: { type: 'string', multiple: true, value: 'tcp|udp:HOSTPORT:GUESTPORT', description: 'forward one more guest port to 127.0.0.1 (repeatable)' },
    link: { type: 'string', multiple: true, value: 'udp:LOCALPORT:PEERPORT[,mac=MAC]', description: 'one more NIC, wired to the guest whose --link has these ports swapped (UDP on 127.0.0.1; repeatable)' },
    'flash-disk': { type: 'string', value: 'FILE', description: 'qemu-armhf: keep the flash stand-in in FILE, so flashed slots survive a restart' },
    monitor: { type: 'string', value: 'SOCKET', description: 'QEMU\'s monitor (also) on this unix socket (system_reset is a power cycle)' },
    'serial-socket': { type: 'string', value: 'SOCKET', description: 'the console on this unix socket instead of the terminal (for flash tftp)' },
    detach: { type: 'boolean', description: 'run the guest in the background; return once its SSH server answers, printing the ports' },
    'ready-timeout': { type: 'string', value: 'SECONDS', description: 'with --detach: stop the guest and fail when SSH has not answered by then (default 900)' },
    stop: { type: 'boolean', description: 'power off the background guest of the board (quit QEMU after --grace), remove its run directory' },
    grace: { type: 'string', value: 'SECONDS', description: 'with --stop: how long the guest has to power off before QEMU is quit (default 60)' },
    status: { type: 'boolean', description: 'list the guests that run in the background' },
    json: { type: 'boolean', description: 'with --detach, --stop or --status: print the result as JSON on stdout' },
  },
  run: (context, values) => {
    const mode = modeOf(values);
    const json = values.json === true;
    if (mode === 'status') return runStatus(context, { json });
    if (values.board === undefined && values.config === undefined) throw new UsageError(`boot${mode === 'attached' ? '' : ` --${mode}`} needs --board ID or -c FILE`);
    if (mode === 'stop') {
      const graceSeconds = integerFlag(values, 'grace', { fallback: 60, min: 0, max: 3600 });
      return runStop(context, { board: stringFlag(values, 'board'), config: stringFlag(values, 'config'), graceSeconds, json });
    }
    if (mode === 'detach') {
      const readyTimeoutSeconds = integerFlag(values, 'ready-timeout', { fallback: 900, min: 1, max: 86_400 });
      return runDetachedBoot(context, { ...guestOptions(values), readyTimeoutSeconds, json });
    }
    return runBoot(context, guestOptions(values));
  },
};
