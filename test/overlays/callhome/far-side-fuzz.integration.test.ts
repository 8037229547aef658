/**
 * Properties of how install-host merges the tunnel's line into the managed host's authorized_keys:
 * random files of other devices' lines (quoted options with blanks and commas, comments, blank and
 * broken lines), the tunnel's own line, the key a rotation replaced, and conflicting lines. The
 * oracle is the generator's own label of each line, not the parser. Whatever the file: without
 * --force a conflict changes nothing at all; every line that is not this tunnel's is kept, in
 * order; the result holds the tunnel's line; and planning again on the result changes nothing.
 * On failure fast-check prints the seed and path to replay it.
 */
import test from 'ava';
import fc from 'fast-check';
import { planAuthorizedKeys } from '../../../overlays/callhome/far-side.js';

const PORT = 5000;
const NEW = 'AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF';
const OLD = 'AAAAC3NzaC1lZDI1NTE5AAAAIGx1bW1veS1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw';
const OURS = `restrict,port-forwarding,permitlisten="localhost:${PORT}",command="/bin/false"`;
const WANTED = `${OURS} ssh-ed25519 ${NEW} mcdebian-callhome@gw1\n`;

type Role = 'other' | 'ours' | 'previous' | 'conflict';
interface Line { text: string; role: Role }

const otherKey = fc.base64String({ minLength: 40, maxLength: 60 }).map((tail) => `AAAAC3NzaC1lZDI1NTE5${tail.replace(/=/g, 'A')}`).filter((key) => key !== NEW && key !== OLD);
const comment = fc.stringMatching(/^[a-z0-9@._-]{0,12}$/);
/** Option values with blanks, commas and escaped quotes: what a naive split on blanks or commas gets wrong. */
const quoted = fc.stringMatching(/^([a-z0-9 ,.:=/_-]|\\")*$/, { maxLength: 20 }).map((value) => `"${value}"`);
const otherPort = fc.integer({ min: 1024, max: 65535 }).filter((port) => port !== PORT);
const otherOptions = fc.array(fc.oneof(
  fc.constantFrom('restrict', 'port-forwarding', 'no-pty'),
  // the tunnel's port inside another option's quoted value is not a listen permission
  fc.constant(`command="logger x,permitlisten=localhost:${PORT}"`),
  otherPort.map((port) => `permitlisten="localhost:${port}"`),
  quoted.map((value) => `command=${value}`),
  quoted.map((value) => `from=${value}`),
), { maxLength: 4 }).map((list) => list.join(','));

const line: fc.Arbitrary<Line> = fc.oneof(
  fc.tuple(otherOptions, otherKey, comment).map(([options, key, note]) => ({ text: `${options} ssh-ed25519 ${key} ${note}`.trim(), role: 'other' as const })),
  fc.constantFrom('', '# managed by hand', 'not a key at all').map((text) => ({ text, role: 'other' as const })),
  comment.map((note) => ({ text: `${OURS} ssh-ed25519 ${NEW} ${note}`.trim(), role: 'ours' as const })),
  comment.map((note) => ({ text: `${OURS} ssh-ed25519 ${OLD} ${note}`.trim(), role: 'previous' as const })),
  fc.tuple(otherKey, comment).map(([key, note]) => ({ text: `${OURS} ssh-ed25519 ${key} ${note}`.trim(), role: 'conflict' as const })),
  otherPort.map((port) => ({ text: `restrict,permitlisten="localhost:${port}" ssh-ed25519 ${NEW}`, role: 'conflict' as const })),
);

const fileOf = (lines: readonly Line[]) => lines.map((entry) => `${entry.text}\n`).join('');

test('merging the tunnel\'s line keeps every other line, is all or nothing without --force, and is idempotent', (t) => {
  t.notThrows(() => fc.assert(fc.property(fc.array(line, { maxLength: 12 }), fc.boolean(), fc.boolean(), (lines, force, rotating) => {
    const wanted = { line: WANTED, remotePort: PORT, previousKey: rotating ? OLD : undefined, force };
    const plan = planAuthorizedKeys(fileOf(lines), wanted);
    const conflicts = lines.filter((entry) => entry.role === 'conflict' || (entry.role === 'previous' && !rotating));
    if (conflicts.length > 0 && !force) return plan.content === undefined && plan.conflicts.length === conflicts.length;
    const result = plan.content ?? fileOf(lines);
    const resultLines = result.split('\n').slice(0, -1);
    const others = lines.filter((entry) => entry.role === 'other').map((entry) => entry.text);
    const keptOthers = resultLines.filter((text) => others.includes(text));
    const again = planAuthorizedKeys(result, wanted);
    return JSON.stringify(keptOthers) === JSON.stringify(others)
      && resultLines.some((text) => text.startsWith(`${OURS} ssh-ed25519 ${NEW}`))
      && again.content === undefined && !again.adds && again.conflicts.length === 0;
  }), { numRuns: 2000, interruptAfterTimeLimit: 30_000 }));
});
