/**
 * Property: compareDebianVersions orders any two valid Debian versions as dpkg does. The oracle is
 * the real `dpkg --compare-versions`; versions are drawn from a small alphabet (digit runs with
 * leading zeros, letters of both cases, `.`, `+`, `~`, hyphens in the upstream part, epochs) so
 * that near-equal pairs are common. On failure fast-check prints the seed and path to replay it.
 */
import test from 'ava';
import { execa } from 'execa';
import fc from 'fast-check';
import { compareDebianVersions } from '../../rootfs/debian-version.js';

const piece = fc.constantFrom('0', '00', '1', '01', '9', '10', '117', '118', 'a', 'b', 'Z', '.', '+', '~', '~~');
const fragment = (first: fc.Arbitrary<string>) => fc.tuple(first, fc.array(piece, { maxLength: 6 })).map(([head, rest]) => head + rest.join(''));
const digit = fc.constantFrom('0', '1', '6', '9');

/** `[epoch:]upstream[-revision]`, valid by deb-version(7): upstream starts with a digit; a hyphen in it only with a revision. */
const version: fc.Arbitrary<string> = fc.record({
  epoch: fc.option(fc.constantFrom('0', '1', '2', '10'), { nil: undefined }),
  upstream: fragment(digit),
  upstreamHyphen: fc.option(fragment(digit), { nil: undefined }),
  revision: fc.option(fragment(fc.constantFrom('0', '1', 'a', '+', '~')), { nil: undefined }),
}).map(({ epoch, upstream, upstreamHyphen, revision }) => {
  const up = revision !== undefined && upstreamHyphen !== undefined ? `${upstream}-${upstreamHyphen}` : upstream;
  return `${epoch === undefined ? '' : `${epoch}:`}${up}${revision === undefined ? '' : `-${revision}`}`;
});

/** dpkg's verdict on each pair, from one shell running dpkg once or twice per pair. */
async function dpkgOrder(pairs: readonly [string, string][]): Promise<number[]> {
  const script = pairs.map(([a, b]) => `if dpkg --compare-versions '${a}' lt '${b}'; then echo -1; elif dpkg --compare-versions '${a}' eq '${b}'; then echo 0; else echo 1; fi`).join('\n');
  const { stdout } = await execa('sh', ['-c', script]);
  return stdout.split('\n').map(Number);
}

test('Debian versions compare as dpkg --compare-versions compares them', async (t) => {
  await t.notThrowsAsync(fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(version, version), { minLength: 1, maxLength: 25 }), async (pairs) => {
      const expected = await dpkgOrder(pairs);
      const actual = pairs.map(([a, b]) => compareDebianVersions(a, b));
      for (const [i, [a, b]] of pairs.entries()) {
        if (actual[i] !== expected[i]) throw new Error(`${a} vs ${b}: dpkg says ${expected[i]}, we say ${actual[i]}`);
      }
    }),
    { numRuns: 150, interruptAfterTimeLimit: 40_000 },
  ));
});
