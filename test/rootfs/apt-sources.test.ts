import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { parseAptSources, pickMirrors, readHostMirrors } from '../../rootfs/apt-sources.js';

// Shaped like the debian.sources a Debian container image ships, with its snapshot comment lines.
const DEB822_DEBIAN = `Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: trixie trixie-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.example/archive/debian-security/20250520T000000Z
URIs: http://mirror.example/debian-security/
Suites: trixie-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

const DEB822_THIRD_PARTY = `Types: deb
URIs: https://example.invalid/node_20.x
Suites: nodistro
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/nodesource.gpg
`;

test('a deb822 file yields one entry per stanza, with comment lines ignored', (t) => {
  t.deepEqual(parseAptSources(DEB822_DEBIAN, 'deb822'), [
    { types: ['deb'], uris: ['http://mirror.example/debian'], suites: ['trixie', 'trixie-updates'], components: ['main'], enabled: true },
    { types: ['deb'], uris: ['http://mirror.example/debian-security/'], suites: ['trixie-security'], components: ['main'], enabled: true },
  ]);
});

test('deb822 field names are case-insensitive and values may continue on indented lines', (t) => {
  const text = 'types: deb deb-src\nURIS: http://a.example/debian\n  http://b.example/debian\nsuites: sid\ncomponents: main contrib\n';
  t.deepEqual(parseAptSources(text, 'deb822'), [
    { types: ['deb', 'deb-src'], uris: ['http://a.example/debian', 'http://b.example/debian'], suites: ['sid'], components: ['main', 'contrib'], enabled: true },
  ]);
});

test('a deb822 stanza with "Enabled: no" is parsed as disabled and never picked as the mirror', (t) => {
  const text = `Types: deb\nURIs: http://old.example/debian\nSuites: trixie\nComponents: main\nEnabled: no\n\n${DEB822_DEBIAN}`;
  const entries = parseAptSources(text, 'deb822');
  t.false(entries[0]?.enabled);
  t.is(pickMirrors(entries).mirror, 'http://mirror.example/debian');
});

test('one-line entries drop their bracketed options, comments and deb-src lines keep their type', (t) => {
  const text = [
    '# the main archive',
    'deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://mirror.example/debian trixie main contrib',
    'deb-src [ arch=amd64 ] http://mirror.example/debian trixie main # sources too',
    '# deb http://commented.example/debian trixie main',
    '',
  ].join('\n');
  t.deepEqual(parseAptSources(text, 'one-line'), [
    { types: ['deb'], uris: ['http://mirror.example/debian'], suites: ['trixie'], components: ['main', 'contrib'], enabled: true },
    { types: ['deb-src'], uris: ['http://mirror.example/debian'], suites: ['trixie'], components: ['main'], enabled: true },
  ]);
});

test('a third-party repository listed first is not taken as the Debian mirror', (t) => {
  const entries = [...parseAptSources(DEB822_THIRD_PARTY, 'deb822'), ...parseAptSources(DEB822_DEBIAN, 'deb822')];
  t.deepEqual(pickMirrors(entries), {
    mirror: 'http://mirror.example/debian',
    securityMirror: 'http://mirror.example/debian-security',
  });
});

test('a mirror whose path does not end in /debian is taken when its suite is a Debian suite', (t) => {
  const entries = parseAptSources('deb http://ftp.example/pub/linux trixie-backports main\ndeb https://example.invalid/apt nodistro main\n', 'one-line');
  t.is(pickMirrors(entries).mirror, 'http://ftp.example/pub/linux');
});

test('URIs with schemes other than http and https are skipped', (t) => {
  const entries = parseAptSources(
    'deb mirror+file:/etc/apt/mirrors/debian.list trixie main\ndeb cdrom:[Debian 13]/ trixie main\ndeb file:/srv/debian trixie main\ndeb https://mirror.example/debian/ trixie main\n',
    'one-line',
  );
  t.is(pickMirrors(entries).mirror, 'https://mirror.example/debian');
});

test('readHostMirrors reads sources.list and sources.list.d in apt order and ignores other suffixes', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'apt-sources-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const partsDir = join(root, 'etc/apt/sources.list.d');
  await mkdir(partsDir, { recursive: true });
  await writeFile(join(root, 'etc/apt/sources.list'), '# See sources.list(5)\ndeb-src http://sources.example/debian trixie main\n');
  await writeFile(join(partsDir, 'a-nodesource.sources'), DEB822_THIRD_PARTY);
  await writeFile(join(partsDir, 'debian.sources'), DEB822_DEBIAN);
  await writeFile(join(partsDir, 'cloud.list.disabled-by-farm'), 'deb http://disabled.example/debian trixie main\n');
  await writeFile(join(partsDir, 'extra.list'), 'deb http://extra.example/debian trixie main\n');

  const found = await readHostMirrors({ root });

  t.deepEqual(found, {
    mirror: 'http://mirror.example/debian',
    securityMirror: 'http://mirror.example/debian-security',
    sources: [join(root, 'etc/apt/sources.list'), join(partsDir, 'a-nodesource.sources'), join(partsDir, 'debian.sources'), join(partsDir, 'extra.list')],
  });
});

test('readHostMirrors on a root without apt configuration finds no mirror', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'apt-sources-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  t.deepEqual(await readHostMirrors({ root }), { mirror: undefined, securityMirror: undefined, sources: [] });
});
