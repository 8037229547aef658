import test, { type ExecutionContext } from 'ava';
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { parseForward } from '../../build/boot.js';
import { parseLink } from '../../build/guest-link.js';
import { checkHostPorts, findRepeatedPorts, hostPortsOf, parseSsHolder, probeHostPort, type HostPort } from '../../build/host-ports.js';
import { hasProgram } from '../helpers/tools.js';

/** A TCP port the test listens on until it ends. */
async function holdTcp(t: ExecutionContext, host = '127.0.0.1'): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as { port: number }).port;
}

/** A UDP port the test has bound until it ends. */
async function holdUdp(t: ExecutionContext): Promise<number> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** A port nothing holds: bound, then released. */
async function releasedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('the ports are SSH first, then each forward, each with the flag that asked for it', (t) => {
  const ports = hostPortsOf({ sshPort: 2222, forwards: [parseForward('udp:5353:53')!, parseForward('tcp:18053:8053')!] });
  t.deepEqual(ports, [
    { flag: '--ssh-port 2222', protocol: 'tcp', port: 2222 },
    { flag: '--forward udp:5353:53', protocol: 'udp', port: 5353 },
    { flag: '--forward tcp:18053:8053', protocol: 'tcp', port: 18053 },
  ]);
});

test('a --link adds its local UDP port, not its peer\'s, which the other guest binds', (t) => {
  const ports = hostPortsOf({ sshPort: 2222, forwards: [parseForward('udp:5353:53')!], links: [parseLink('udp:40001:40002,mac=52:54:00:00:00:01')!] });
  t.deepEqual(ports.slice(1), [
    { flag: '--forward udp:5353:53', protocol: 'udp', port: 5353 },
    { flag: '--link udp:40001:40002', protocol: 'udp', port: 40001 },
  ]);
});

test('a host port asked for twice with the same protocol is named with the flag that took it first', (t) => {
  const ports = hostPortsOf({ sshPort: 2222, forwards: [parseForward('tcp:2222:80')!, parseForward('udp:2222:53')!] });
  const problems = findRepeatedPorts(ports);
  t.is(problems.length, 1, 'udp and tcp on the same number do not clash');
  t.is(problems[0]!.port.flag, '--forward tcp:2222:80');
  t.is(problems[0]!.reason, 'is the same host port as --ssh-port 2222');
});

test('ss output gives the process holding a port', (t) => {
  // recorded from ss -Hltnp 'sport = :47001' and ss -Hlunp 'sport = :47002'
  t.deepEqual(parseSsHolder('LISTEN 0      128    127.0.0.1:47001 0.0.0.0:* users:(("python3",pid=25859,fd=3))'), { name: 'python3', pid: 25859 });
  t.deepEqual(parseSsHolder('UNCONN 0      0      127.0.0.1:47002 0.0.0.0:* users:(("python3",pid=25859,fd=4))'), { name: 'python3', pid: 25859 });
  t.is(parseSsHolder('LISTEN 0      128    0.0.0.0:2024 0.0.0.0:*'), undefined, 'another user\'s process shows without users:');
});

test('a free port binds', async (t) => {
  t.is(await probeHostPort({ protocol: 'tcp', port: await releasedPort() }), undefined);
});

test('a TCP port listened on by the test is in use, and so is one held on every address', async (t) => {
  t.is((await probeHostPort({ protocol: 'tcp', port: await holdTcp(t) }))?.code, 'EADDRINUSE');
  t.is((await probeHostPort({ protocol: 'tcp', port: await holdTcp(t, '0.0.0.0') }))?.code, 'EADDRINUSE');
});

test('a UDP port bound by the test is in use for UDP', async (t) => {
  t.is((await probeHostPort({ protocol: 'udp', port: await holdUdp(t) }))?.code, 'EADDRINUSE');
});

test('every taken port is reported at once, with its flag and the process that holds it', async (t) => {
  const [tcp, udp, free] = [await holdTcp(t), await holdUdp(t), await releasedPort()];
  const ports: HostPort[] = [
    { flag: `--ssh-port ${tcp}`, protocol: 'tcp', port: tcp },
    { flag: `--forward udp:${udp}:53`, protocol: 'udp', port: udp },
    { flag: `--forward tcp:${free}:8053`, protocol: 'tcp', port: free },
  ];
  const problems = await checkHostPorts(ports);
  t.deepEqual(problems.map((problem) => problem.port.flag), [`--ssh-port ${tcp}`, `--forward udp:${udp}:53`]);
  for (const problem of problems) t.regex(problem.reason, /^is already in use/);
  if (hasProgram('ss')) {
    t.deepEqual(problems.map((problem) => problem.holder?.pid), [process.pid, process.pid], 'ss names this test\'s process');
    t.regex(problems[0]!.reason, new RegExp(`by \\S+ \\(pid ${process.pid}\\)$`));
  }
});
