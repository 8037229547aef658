/**
 * The host ports `mcdebian boot` asks QEMU to listen on, checked before QEMU starts: QEMU's own
 * error for a taken port is "Could not set up host forwarding rule", which names neither the
 * port nor the flag (and a taken --link port stops QEMU with "Address already in use"). Each port is bound on 127.0.0.1 (where QEMU's hostfwd listens) with its
 * protocol and released at once; `ss` then names the process that holds a taken one, when the
 * kernel lets us see it (other users' processes show only to root).
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { execa } from 'execa';
import type { PortForward } from './boot.js';
import { formatForward } from './boot.js';
import type { GuestLink } from './guest-link.js';

/** A host port QEMU is to listen on, and the flag that asked for it. */
export interface HostPort {
  /** `--ssh-port 2222` or `--forward tcp:18053:8053`, as the user wrote it. */
  flag: string;
  protocol: 'tcp' | 'udp';
  port: number;
}

/** A host port QEMU could not listen on, and why. */
export interface PortProblem {
  port: HostPort;
  /** "is already in use by nc (pid 1234)", "needs root", ... */
  reason: string;
  /** The process holding it, when ss could tell. */
  holder?: PortHolder;
}

/** A process that listens on a port, from `ss -p`. */
export interface PortHolder {
  name: string;
  pid: number;
}

/** SSH first, then the forwards, then each link's local UDP port (its peer's is the other guest's to bind), in the order given. */
export function hostPortsOf(options: { sshPort: number; forwards: readonly PortForward[]; links?: readonly GuestLink[] }): HostPort[] {
  return [
    { flag: `--ssh-port ${options.sshPort}`, protocol: 'tcp', port: options.sshPort },
    ...options.forwards.map((forward) => ({ flag: `--forward ${formatForward(forward)}`, protocol: forward.protocol, port: forward.hostPort })),
    ...(options.links ?? []).map((link): HostPort => ({ flag: `--link udp:${link.localPort}:${link.peerPort}`, protocol: 'udp', port: link.localPort })),
  ];
}

/** Ports asked for twice with the same protocol: QEMU would fail on the second. */
export function findRepeatedPorts(ports: readonly HostPort[]): PortProblem[] {
  return ports.flatMap((port, index) => {
    const first = ports.findIndex((other) => other.protocol === port.protocol && other.port === port.port);
    return first < index ? [{ port, reason: `is the same host port as ${ports[first]!.flag}` }] : [];
  });
}

/** The error of binding the port on 127.0.0.1 with its protocol, or undefined when it is free. */
export async function probeHostPort(port: Pick<HostPort, 'protocol' | 'port'>): Promise<NodeJS.ErrnoException | undefined> {
  if (port.protocol === 'udp') {
    const socket = createSocket('udp4');
    return new Promise((resolve) => {
      socket.once('error', (error) => { socket.close(); resolve(error); });
      socket.bind(port.port, '127.0.0.1', () => socket.close(() => resolve(undefined)));
    });
  }
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', (error) => resolve(error));
    server.listen(port.port, '127.0.0.1', () => server.close(() => resolve(undefined)));
  });
}

/** The first process in one line of `ss -Hlnp` output: `users:(("nc",pid=1234,fd=3))`. */
export function parseSsHolder(line: string): PortHolder | undefined {
  const match = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+),/.exec(line);
  return match ? { name: match[1]!, pid: Number(match[2]) } : undefined;
}

/** The process listening on the port, or undefined when ss is missing or cannot see it. */
async function findHolder(port: HostPort): Promise<PortHolder | undefined> {
  const result = await execa('ss', ['-Hlnp', port.protocol === 'udp' ? '-u' : '-t', `sport = :${port.port}`], { reject: false, stdin: 'ignore', timeout: 10_000 });
  if (result.exitCode !== 0) return undefined;
  return String(result.stdout).split('\n').map(parseSsHolder).find((holder) => holder !== undefined);
}

/** Why one port cannot be used, or undefined when it can. */
async function checkHostPort(port: HostPort): Promise<PortProblem | undefined> {
  const error = await probeHostPort(port);
  if (!error) return undefined;
  if (error.code === 'EACCES') {
    return { port, reason: `needs root: ports below 1024 are privileged (sysctl net.ipv4.ip_unprivileged_port_start)` };
  }
  if (error.code !== 'EADDRINUSE') return { port, reason: `cannot be bound on 127.0.0.1: ${error.message}` };
  const holder = await findHolder(port);
  return { port, holder, reason: `is already in use${holder ? ` by ${holder.name} (pid ${holder.pid})` : ''}` };
}

/** Every problem with the ports, repeated ones first; empty when QEMU can listen on them all. */
export async function checkHostPorts(ports: readonly HostPort[]): Promise<PortProblem[]> {
  const repeated = findRepeatedPorts(ports);
  const distinct = ports.filter((port) => !repeated.some((problem) => problem.port === port));
  const busy = await Promise.all(distinct.map(checkHostPort));
  return [...repeated, ...busy.filter((problem) => problem !== undefined)];
}
