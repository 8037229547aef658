/** Properties of the forwards boot parses and of the repeated-port check, over generated inputs. */
import test from 'ava';
import fc from 'fast-check';
import { formatForward, parseForward, type PortForward } from '../../build/boot.js';
import { findRepeatedPorts, hostPortsOf } from '../../build/host-ports.js';

const RUNS = { numRuns: 2000, interruptAfterTimeLimit: 30_000 };
const port = fc.integer({ min: 1, max: 65535 });
const forward: fc.Arbitrary<PortForward> = fc.record({ protocol: fc.constantFrom('tcp' as const, 'udp' as const), hostPort: port, guestPort: port });

test('a forward prints back to itself through --forward\'s syntax', (t) => {
  t.notThrows(() => fc.assert(fc.property(forward, (f) => JSON.stringify(parseForward(formatForward(f))) === JSON.stringify(f)), RUNS));
});

test('whatever text --forward gets, what it accepts is tcp or udp with both ports from 1 to 65535', (t) => {
  const text = fc.oneof(fc.string(), forward.map(formatForward), fc.tuple(fc.constantFrom('tcp', 'udp', 'sctp', 'TCP', ''), fc.string({ unit: fc.constantFrom('0', '1', '9', ':', '-', ' ') })).map(([p, rest]) => `${p}:${rest}`));
  t.notThrows(() => fc.assert(fc.property(text, (input) => {
    const parsed = parseForward(input);
    if (parsed === undefined) return true;
    return ['tcp', 'udp'].includes(parsed.protocol) && [parsed.hostPort, parsed.guestPort].every((n) => Number.isInteger(n) && n >= 1 && n <= 65535) && /^(tcp|udp):\d+:\d+$/.test(input);
  }), RUNS));
});

test('exactly the later uses of a protocol and host port are repeats, each naming the first use', (t) => {
  t.notThrows(() => fc.assert(fc.property(port, fc.array(forward, { maxLength: 12 }), (sshPort, forwards) => {
    const ports = hostPortsOf({ sshPort, forwards });
    const problems = findRepeatedPorts(ports);
    const key = (p: { protocol: string; port: number }) => `${p.protocol}:${p.port}`;
    const expected = ports.filter((p, index) => ports.findIndex((other) => key(other) === key(p)) < index);
    if (problems.length !== expected.length || problems.some((problem, index) => problem.port !== expected[index])) return false;
    return problems.every((problem) => problem.reason === `is the same host port as ${ports.find((p) => key(p) === key(problem.port))!.flag}`);
  }), RUNS));
});
