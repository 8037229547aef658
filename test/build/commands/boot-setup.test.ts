import test from 'ava';
import type { GuestRun } from '../../../build/boot-runs.js';
import { portsError } from '../../../build/commands/boot-setup.js';
import type { PortProblem } from '../../../build/host-ports.js';

const taken: PortProblem = { port: { flag: '--ssh-port 2222', protocol: 'tcp', port: 2222 }, reason: 'is already in use by qemu-system-arm (pid 4242)', holder: { name: 'qemu-system-arm', pid: 4242 } };
const repeated: PortProblem = { port: { flag: '--forward udp:5353:53', protocol: 'udp', port: 5353 }, reason: 'is the same host port as --forward udp:5353:5353' };

test('one taken port is one line naming the flag, protocol, port and holder, and the hint names the flag', (t) => {
  const error = portsError([taken], []);
  t.is(error.message, '--ssh-port 2222: tcp port 2222 on 127.0.0.1 is already in use by qemu-system-arm (pid 4242)');
  t.is(error.hint, 'choose a free host port with --ssh-port, or stop what holds it');
});

test('several ports are listed at once, and the hint names each flag once', (t) => {
  const error = portsError([taken, repeated], []);
  t.is(error.message, '2 host ports cannot be forwarded:\n  --ssh-port 2222: tcp port 2222 on 127.0.0.1 is already in use by qemu-system-arm (pid 4242)\n  --forward udp:5353:53: udp port 5353 on 127.0.0.1 is the same host port as --forward udp:5353:5353');
  t.is(error.hint, 'choose a free host port with --ssh-port and --forward, or stop what holds it');
});

test('a port held by a detached guest points at boot --stop for that board', (t) => {
  const run = { dir: '/run/mcdebian/qemu-armhf', alive: true, guest: { board: 'qemu-armhf', pid: 4242 } } as GuestRun;
  t.is(portsError([taken], [run]).hint, 'the detached qemu-armhf guest holds it: mcdebian boot --stop --board qemu-armhf; or choose other ports with --ssh-port');
});
