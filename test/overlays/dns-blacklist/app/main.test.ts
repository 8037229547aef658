/**
 * The command line of the bundled service, as the router runs it: one file from esbuild, run by
 * node, with fake nsupdate and dig first on its PATH.
 */
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleNodeService } from '../../../../overlays/bundle.js';
import { hashPassword, verifyPassword } from '../../../../overlays/dns-blacklist/app/password.js';
import { makeFakeBindTools } from './fakes.js';

const test = anyTest as TestFn<{ dir: string; main: string; env: NodeJS.ProcessEnv }>;
const ENTRY = fileURLToPath(new URL('../../../../overlays/dns-blacklist/app/main.js', import.meta.url));
const FIXTURES = new URL('../../../../../test/overlays/dns-blacklist/app/fixtures/', import.meta.url);

test.before(async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-dns-blacklist-cli-'));
  const main = join(dir, 'main.mjs');
  await writeFile(main, await bundleNodeService({ entry: ENTRY, path: '/usr/lib/mcdebian/dns-blacklist/main.mjs' }));
  const bin = await makeFakeBindTools(dir);
  await copyFile(new URL('axfr-rpz.mcdebian.txt', FIXTURES), join(dir, 'dig.stdout'));
  await writeFile(join(dir, 'admin.hash'), `${await hashPassword('pw', { N: 1024, r: 8, p: 1 })}\n`);
  await writeFile(join(dir, 'admin.json'), JSON.stringify({
    tsigKeyFile: '%d/rpz-key', action: { kind: 'nxdomain' },
    api: { listen: '127.0.0.1', port: 1, passwordHashFile: join(dir, 'admin.hash') },
  }));
  const env = { PATH: `${bin}:${process.env.PATH}`, CREDENTIALS_DIRECTORY: '/run/credentials/test' };
  t.context = { dir, main, env };
});

test.after.always(async (t) => rm(t.context.dir, { recursive: true, force: true }));

const run = (t: { context: { main: string; env: NodeJS.ProcessEnv } }, args: string[], input = '') =>
  execa(process.execPath, [t.context.main, ...args], { env: t.context.env, extendEnv: false, input, reject: false });

test('the bundle imports nothing but Node\'s own modules', async (t) => {
  const code = await readFile(t.context.main, 'utf8');
  const imports = [...code.matchAll(/^import .* from ["']([^"']+)["']/gm)].map((match) => match[1]);
  t.true(imports.every((name) => name?.startsWith('node:')), imports.join(', '));
});

test('hash-password prints the hash line of the password read on stdin', async (t) => {
  const result = await run(t, ['hash-password'], 'correct horse\n');
  t.is(result.exitCode, 0);
  t.regex(result.stdout, /^scrypt\$32768\$8\$1\$\S+\$\S+$/);
  t.true(await verifyPassword('correct horse', result.stdout));
});

test.serial('import adds the valid names through nsupdate and reports counts and invalid lines', async (t) => {
  const list = join(t.context.dir, 'hosts');
  await writeFile(list, '# list\n127.0.0.1 localhost\n0.0.0.0 ads.example new.example\nbad name.example\nfresh.example # comment\n');
  const result = await run(t, ['import', list, '--config', join(t.context.dir, 'admin.json')]);
  t.is(result.exitCode, 0, result.stderr);
  t.is(result.stdout, `import: ${list}: 2 added, 1 already blocked, 1 invalid (lines 4), 1 local names or addresses skipped`);
  t.is(result.stderr, `import: ${list}:4: "bad name.example" is neither "ADDRESS NAME..." nor a single name`);
  t.is(await readFile(join(t.context.dir, 'nsupdate.argv'), 'utf8'), '-k\n/run/credentials/test/rpz-key\n');
  t.is(await readFile(join(t.context.dir, 'nsupdate.stdin'), 'utf8'), [
    'check-names no', 'server 127.0.0.1 53', 'zone rpz.mcdebian.',
    'update add new.example.rpz.mcdebian. 60 IN CNAME .', 'update add *.new.example.rpz.mcdebian. 60 IN CNAME .',
    'update add fresh.example.rpz.mcdebian. 60 IN CNAME .', 'update add *.fresh.example.rpz.mcdebian. 60 IN CNAME .',
    'send', '',
  ].join('\n'));
});

test.serial('import fails with nsupdate\'s complaint when the update is refused', async (t) => {
  const list = join(t.context.dir, 'hosts-2');
  await writeFile(list, 'other.example\n');
  await writeFile(join(t.context.dir, 'nsupdate.stderr'), 'update failed: NOTAUTH(BADKEY)\n');
  await writeFile(join(t.context.dir, 'nsupdate.exit'), '2');
  t.teardown(async () => {
    await rm(join(t.context.dir, 'nsupdate.stderr'));
    await rm(join(t.context.dir, 'nsupdate.exit'));
  });
  const result = await run(t, ['import', list, '--config', join(t.context.dir, 'admin.json')]);
  t.is(result.exitCode, 1);
  t.is(result.stderr, 'nsupdate exited with code 2: update failed: NOTAUTH(BADKEY); nothing was changed');
});

test('a broken config exits 78 naming the field', async (t) => {
  const config = join(t.context.dir, 'broken.json');
  await writeFile(config, JSON.stringify({ tsigKeyFile: 'k', action: { kind: 'sink' }, api: { listen: '127.0.0.1', passwordHashFile: 'h' } }));
  const result = await run(t, ['serve', '--config', config]);
  t.is(result.exitCode, 78);
  t.regex(result.stderr, /broken\.json: action\.address: /);
});

test('an unknown command or option exits 64 with the usage', async (t) => {
  for (const args of [['frobnicate'], ['import'], ['--verbose']]) {
    const result = await run(t, args);
    t.is(result.exitCode, 64, args.join(' '));
    t.regex(result.stderr, /usage: main\.mjs \[serve\]/);
  }
});

test('serve runs until SIGTERM and then exits 0', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const config = join(t.context.dir, 'serve.json');
  await writeFile(config, JSON.stringify({
    tsigKeyFile: 'k', action: { kind: 'nxdomain' }, api: { listen: '127.0.0.1', port, passwordHashFile: join(t.context.dir, 'admin.hash') },
  }));
  const child = execa(process.execPath, [t.context.main, '--config', config], { env: t.context.env, extendEnv: false, reject: false });
  let health = 0;
  for (let i = 0; i < 100 && health !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    health = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
  }
  t.is(health, 200);
  child.kill('SIGTERM');
  const result = await child;
  t.is(result.exitCode, 0);
  t.regex(result.stdout, /listening on http:\/\/127\.0\.0\.1:\d+ for zone rpz\.mcdebian \(nxdomain\)\nstopping on SIGTERM\nstopped$/);
});
