import test from 'ava';
import { changedFields, explainStages, type StageInputs } from '../../build/explain.js';

const changes = test.macro({
  exec(t, before: unknown, after: unknown, expected: string[]) {
    t.deepEqual(changedFields(before, after), expected);
  },
  title: (given) => `changedFields: ${given ?? ''}`,
});

test('identical values have no changed fields', changes,
  { a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 2] } }, []);
test('a nested field is named by its dotted path with old and new JSON values', changes,
  { spec: { suite: 'trixie', arch: 'armhf' } }, { spec: { suite: 'forky', arch: 'armhf' } }, ['spec.suite: "trixie" -> "forky"']);
test('an array is compared as one value', changes,
  { spec: { packages: ['a', 'b'] } }, { spec: { packages: ['a', 'b', 'htop'] } }, ['spec.packages: ["a","b"] -> ["a","b","htop"]']);
test('an added key shows (none) before and a removed key (none) after', changes,
  { a: 1, gone: true }, { a: 1, added: null }, ['added: (none) -> null', 'gone: true -> (none)']);
test('changed fields are listed in path order', changes,
  { z: 1, a: { y: 1, b: 1 } }, { z: 2, a: { y: 2, b: 2 } }, ['a.b: 1 -> 2', 'a.y: 1 -> 2', 'z: 1 -> 2']);
test('a value turning from a leaf into an object shows each new leaf', changes,
  { overlays: 'none' }, { overlays: { callhome: { host: 'hq.example' } } },
  ['overlays: "none" -> (none)', 'overlays.callhome.host: (none) -> "hq.example"']);
test('a value of exactly 80 characters is shown whole', changes,
  { key: 'x'.repeat(78) }, { key: 'y' }, [`key: "${'x'.repeat(78)}" -> "y"`]);
test('a value longer than 80 characters is cut to 77 and "..."', changes,
  { key: 'x'.repeat(79) }, { key: 'y' }, [`key: "${'x'.repeat(76)}... -> "y"`]);

/** Stage inputs shaped as pipeline.ts builds them, with short stand-ins for the hashes. */
function stageInputs(change: { hostname?: string; packages?: string[] } = {}): StageInputs {
  const packages = change.packages ?? ['openssh-server', 'systemd'];
  const hostname = change.hostname ?? 'gw';
  const baseKey = `base-${packages.length}`;
  const filesKey = `files-${hostname}`;
  return {
    base: { format: 1, spec: { suite: 'trixie', arch: 'armhf', packages }, tools: { mmdebstrap: '1.5.7-1' } },
    layer: { format: 1, base: baseKey, board: 'wrt1200ac', hostname, files: filesKey },
    images: { format: 1, layer: `layer-${baseKey}-${hostname}-${filesKey}`, size: '2G', tools: { e2fsprogs: '1.47.2-3' } },
  };
}

const nothingCached = { base: false, layer: false, images: false };

test('without an earlier build every stage is built and says there is no record', (t) => {
  t.deepEqual(explainStages(undefined, stageInputs(), nothingCached), [
    'base: built (no earlier build of this board is recorded)',
    'layer: built (no earlier build of this board is recorded)',
    'images: built (no earlier build of this board is recorded)',
  ]);
});

test('cached stages are reused whether or not an earlier build is recorded', (t) => {
  const allCached = { base: true, layer: true, images: true };
  const expected = [
    'base: reused from the cache (inputs unchanged)',
    'layer: reused from the cache (inputs unchanged)',
    'images: reused from the cache (inputs unchanged)',
  ];
  t.deepEqual(explainStages(stageInputs(), stageInputs(), allCached), expected);
  t.deepEqual(explainStages(undefined, stageInputs(), allCached), expected);
});

test('a new hostname reuses the base, rebuilds the layer naming the hostname, and rebuilds the images for the layer', (t) => {
  t.deepEqual(explainStages(stageInputs(), stageInputs({ hostname: 'gw2' }), { base: true, layer: false, images: false }), [
    'base: reused from the cache (inputs unchanged)',
    'layer: rebuilt because files: "files-gw" -> "files-gw2"; hostname: "gw" -> "gw2"',
    'images: rebuilt because an earlier stage changed',
  ]);
});

test('an added package rebuilds the base naming spec.packages, and the later stages because the base changed', (t) => {
  t.deepEqual(explainStages(stageInputs(), stageInputs({ packages: ['htop', 'openssh-server', 'systemd'] }), nothingCached), [
    'base: rebuilt because spec.packages: ["openssh-server","systemd"] -> ["htop","openssh-server","systemd"]',
    'layer: rebuilt because an earlier stage changed',
    'images: rebuilt because an earlier stage changed',
  ]);
});

test('a changed image size rebuilds only the images, naming the size', (t) => {
  const previous = stageInputs();
  const current: StageInputs = { ...previous, images: { ...(previous.images as object), size: '4G' } };
  t.deepEqual(explainStages(previous, current, { base: true, layer: true, images: false }), [
    'base: reused from the cache (inputs unchanged)',
    'layer: reused from the cache (inputs unchanged)',
    'images: rebuilt because size: "2G" -> "4G"',
  ]);
});

// build.ts always passes images: false (images are not cached), so an unchanged rebuild reaches
// the "earlier stage" line for the images although base and layer are reused unchanged.
test('an unchanged rebuild with base and layer reused does not claim an earlier stage changed', (t) => {
  const [, , images] = explainStages(stageInputs(), stageInputs(), { base: true, layer: true, images: false });
  t.false(images!.includes('an earlier stage changed'), images);
});

// A base tarball removed from the cache by hand, with the same inputs: base has no earlier stage.
test('a base missing from the cache with unchanged inputs does not blame an earlier stage', (t) => {
  const [base] = explainStages(stageInputs(), stageInputs(), nothingCached);
  t.false(base!.includes('earlier stage'), base);
});
