import test from 'ava';
import { changedFields, describeFileChanges, explainStages, type StageInputs } from '../../build/explain.js';

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

const digest = (text: string) => text.padEnd(64, '0');

/** Stage inputs shaped as pipeline.ts builds them, with short stand-ins for the hashes. */
function stageInputs(change: { hostname?: string; packages?: string[]; files?: Record<string, { part: string; digest: string }> } = {}): StageInputs {
  const packages = change.packages ?? ['openssh-server', 'systemd'];
  const hostname = change.hostname ?? 'gw';
  const baseKey = `base-${packages.length}`;
  const files = change.files ?? {
    '/etc/hostname': { part: 'base', digest: digest(`hostname-${hostname}`) },
    '/etc/hosts': { part: 'base', digest: digest(`hosts-${hostname}`) },
    '/etc/fstab': { part: 'base', digest: digest('fstab') },
  };
  return {
    base: { format: 1, spec: { suite: 'trixie', arch: 'armhf', packages }, tools: { mmdebstrap: '1.5.7-1' } },
    layer: { format: 1, base: baseKey, board: 'wrt1200ac', hostname, overlayFiles: {}, files, sources: 'sources-v1' },
    images: { format: 1, layer: `layer-${baseKey}-${hostname}-${JSON.stringify(files).length}`, size: '2G', tools: { e2fsprogs: '1.47.2-3' } },
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

test('a new hostname reuses the base, rebuilds the layer naming the hostname and the files it changed, and rebuilds the images for the layer', (t) => {
  t.deepEqual(explainStages(stageInputs(), stageInputs({ hostname: 'gw2' }), { base: true, layer: false, images: false }), [
    'base: reused from the cache (inputs unchanged)',
    'layer: rebuilt because hostname: "gw" -> "gw2"; files: 2 files (2 changed): changed /etc/hostname (base), changed /etc/hosts (base)',
    'images: rebuilt because an earlier stage changed',
  ]);
});

test('the layer\'s files are named as added, removed or changed with their overlay, never by their digests', (t) => {
  const before = { '/etc/hostname': { part: 'base', digest: digest('a') }, '/etc/old.conf': { part: 'dns-blacklist', digest: digest('b') } };
  const after = { '/etc/hostname': { part: 'base', digest: digest('c') }, '/etc/systemd/system/mcdebian-callhome.service': { part: 'callhome', digest: digest('d') } };
  const line = describeFileChanges(before, after);
  t.is(line, '3 files (1 added, 1 changed, 1 removed): changed /etc/hostname (base), removed /etc/old.conf (dns-blacklist), added /etc/systemd/system/mcdebian-callhome.service (callhome)');
  t.notRegex(line ?? '', /[0-9a-f]{16}/);
});

test('a large change is counted, and only the first five files are named', (t) => {
  const many = (n: number, tag: string) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`/srv/file${String(i).padStart(3, '0')}`, { part: 'files:', digest: digest(`${tag}${i}`) }]));
  const line = describeFileChanges(many(300, 'x'), { ...many(300, 'y'), '/srv/zz': { part: 'files:', digest: digest('z') } });
  t.is(line, '301 files (1 added, 300 changed): changed /srv/file000 (files:), changed /srv/file001 (files:), changed /srv/file002 (files:), changed /srv/file003 (files:), changed /srv/file004 (files:), and 296 more');
});

test('unchanged files give no line', (t) => {
  const files = { '/etc/hostname': { part: 'base', digest: digest('a') } };
  t.is(describeFileChanges(files, { ...files }), undefined);
});

test('an earlier build\'s record without file names says the files changed without naming them', (t) => {
  const current = stageInputs();
  const previous: StageInputs = { ...current, layer: { ...(current.layer as object), files: digest('old') } };
  const [, layer] = explainStages(previous, current, { base: true, layer: false, images: false });
  t.is(layer, 'layer: rebuilt because files: the layer\'s files changed (the earlier build\'s record does not name them)');
});

test('a file an overlay\'s config names is said to have changed by its field and path, not its digest', (t) => {
  const current = stageInputs();
  const withKey = (hash: string): StageInputs => ({ ...current, layer: { ...(current.layer as object), overlayFiles: { 'callhome.hostKey': `/srv/hq.pub ${digest(hash)}` } } });
  const [, layer] = explainStages(withKey('a'), withKey('b'), { base: true, layer: false, images: false });
  t.is(layer, 'layer: rebuilt because overlays.callhome.hostKey file /srv/hq.pub changed');
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
