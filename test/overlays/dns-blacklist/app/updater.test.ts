/**
 * The real updater against fake nsupdate and dig first on PATH: the exact argv and stdin they
 * get, and how their failures are reported. Serial, because PATH belongs to the whole process.
 */
import test from 'ava';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Blocklist } from '../../../../overlays/dns-blacklist/app/blocklist.js';
import { createDnsUpdater, UpdateError } from '../../../../overlays/dns-blacklist/app/updater.js';
import type { ZoneSettings } from '../../../../overlays/dns-blacklist/app/zone.js';
import { makeFakeBindTools } from './fakes.js';

const FIXTURES = new URL('../../../../../test/overlays/dns-blacklist/app/fixtures/', import.meta.url);
const settings: ZoneSettings = { zone: 'rpz.mcdebian', server: { address: '127.0.0.1', port: 5353 }, ttl: 60, action: { kind: 'sink', address: '192.168.1.1' } };
const KEY = '/run/credentials/mcdebian-dns-blacklist.service/rpz-key';

let dir = '';
const savedPath = process.env.PATH;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcdebian-fake-bind-'));
  process.env.PATH = `${await makeFakeBindTools(dir)}:${savedPath}`;
});

test.beforeEach(async () => {
  for (const name of ['nsupdate', 'dig']) {
    for (const suffix of ['argv', 'stdin', 'stdout', 'stderr', 'exit']) await rm(join(dir, `${name}.${suffix}`), { force: true });
  }
  await copyFile(new URL('axfr-rpz.mcdebian.txt', FIXTURES), join(dir, 'dig.stdout'));
});

test.after.always(async () => {
  process.env.PATH = savedPath;
  await rm(dir, { recursive: true, force: true });
});

const recorded = (file: string) => readFile(join(dir, file), 'utf8');

test.serial('the list is a signed zone transfer by dig, parsed', async (t) => {
  const domains = await createDnsUpdater({ settings, keyFile: KEY }).list();
  t.is(await recorded('dig.argv'), `-k\n${KEY}\n@127.0.0.1\n-p\n5353\nrpz.mcdebian\nAXFR\n+noall\n+answer\n`);
  t.deepEqual(domains, ['ads.example', 'bad.example', 'metrics.example', 'only-wildcard.test', 'tracker.ads.example', 'xn--bcher-kva.example']);
});

test.serial('a change is one nsupdate -k KEYFILE run with the script on stdin', async (t) => {
  await createDnsUpdater({ settings, keyFile: KEY }).apply({ add: ['new.example'], remove: ['ads.example'] });
  t.is(await recorded('nsupdate.argv'), `-k\n${KEY}\n`);
  t.is(await recorded('nsupdate.stdin'), [
    'check-names no',
    'server 127.0.0.1 5353',
    'zone rpz.mcdebian.',
    'update delete ads.example.rpz.mcdebian.',
    'update delete *.ads.example.rpz.mcdebian.',
    'update add new.example.rpz.mcdebian. 60 IN A 192.168.1.1',
    'update add *.new.example.rpz.mcdebian. 60 IN A 192.168.1.1',
    'send',
    '',
  ].join('\n'));
});

test.serial('an empty change runs no nsupdate', async (t) => {
  await createDnsUpdater({ settings, keyFile: KEY }).apply({ add: [], remove: [] });
  await t.throwsAsync(recorded('nsupdate.argv'), { code: 'ENOENT' });
});

test.serial('the queue sends only what is not yet in the zone', async (t) => {
  const blocklist = new Blocklist(createDnsUpdater({ settings, keyFile: KEY }));
  const result = await blocklist.change({ add: ['ads.example', 'fresh.example'], remove: ['gone.example'] });
  t.deepEqual(result, { added: ['fresh.example'], alreadyBlocked: ['ads.example'], removed: [], notBlocked: ['gone.example'] });
  const script = await recorded('nsupdate.stdin');
  t.regex(script, /^update add fresh\.example\.rpz\.mcdebian\. /m);
  t.notRegex(script, /ads\.example|gone\.example/);
});

test.serial('a refused update is an UpdateError carrying nsupdate\'s stderr and exit code', async (t) => {
  await writeFile(join(dir, 'nsupdate.stderr'), 'update failed: REFUSED\n');
  await writeFile(join(dir, 'nsupdate.exit'), '2');
  const error = await t.throwsAsync(createDnsUpdater({ settings, keyFile: KEY }).apply({ add: ['x.example'], remove: [] }), { instanceOf: UpdateError });
  t.is(error?.message, 'nsupdate exited with code 2: update failed: REFUSED');
});

test.serial('a refused transfer is an UpdateError quoting dig, although dig exits 0', async (t) => {
  await copyFile(new URL('axfr-refused.txt', FIXTURES), join(dir, 'dig.stdout'));
  await t.throwsAsync(createDnsUpdater({ settings, keyFile: KEY }).list(), {
    instanceOf: UpdateError, message: 'dig: the zone transfer of rpz.mcdebian returned no SOA record: ; Transfer failed.',
  });
});

test.serial('an unreachable server is an UpdateError with dig\'s own words', async (t) => {
  await writeFile(join(dir, 'dig.stdout'), ';; communications error to 127.0.0.1#5353: connection refused\n');
  await writeFile(join(dir, 'dig.exit'), '9');
  await t.throwsAsync(createDnsUpdater({ settings, keyFile: KEY }).list(), {
    instanceOf: UpdateError, message: 'dig exited with code 9: ;; communications error to 127.0.0.1#5353: connection refused',
  });
});

test.serial('missing programs name the Debian package to install', async (t) => {
  const empty = await mkdtemp(join(tmpdir(), 'mcdebian-empty-path-'));
  process.env.PATH = empty;
  try {
    await t.throwsAsync(createDnsUpdater({ settings, keyFile: KEY }).apply({ add: ['x.example'], remove: [] }), {
      message: 'nsupdate not found; install the Debian package bind9-dnsutils',
    });
  } finally {
    process.env.PATH = `${join(dir, 'bin')}:${savedPath}`;
    await rm(empty, { recursive: true });
  }
});
