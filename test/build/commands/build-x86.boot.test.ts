/**
 * A real build of the x86-64 image, booted under OVMF and logged into over SSH. The image carries
 * the vote-backend overlay with its own MariaDB (one build for both: the vote server is what the
 * x86 image is for), so the boot also shows votes counted through a forwarded port and a
 * SIGKILL of the service under load losing nothing.
 */
import anyTest, { type TestFn } from 'ava';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../../build/manifest.js';
import { bootGuest, freePort, makeWorkspace, type BootedGuest, removeWorkspace, runCliIn, testCacheDir, writeConfig, type Workspace } from '../../helpers/guest.js';
import { testNeeding } from '../../helpers/tools.js';
import { startVoters } from '../../overlays/vote-backend/helpers/voters.js';
import { waitUntil } from '../../overlays/vote-backend/helpers/vote-service.js';

interface Context { workspace: Workspace; config: string; votePort: number }
const test = anyTest as TestFn<Context>;
const serial = testNeeding<Context>({ tools: { mmdebstrap: 'mmdebstrap', 'qemu-system-x86_64': 'qemu-system-x86', 'mkfs.fat': 'dosfstools', mcopy: 'mtools', sfdisk: 'fdisk', 'qemu-img': 'qemu-utils', e2fsck: 'e2fsprogs' } }, { serial: true });

/** The booted guest, shared by the tests after the boot. */
let running: (BootedGuest & { sshPort: number }) | undefined;

test.after.always(async (t) => {
  await running?.powerOff();
  await removeWorkspace(t.context.workspace);
});

test.before(async (t) => {
  const workspace = await makeWorkspace(await testCacheDir());
  // the user's own tree (files:), with a mode of its own
  await mkdir(join(workspace.dir, 'tree', 'etc'), { recursive: true });
  await writeFile(join(workspace.dir, 'tree', 'etc', 'motd'), 'McDebian vote server\n', { mode: 0o640 });
  await chmod(join(workspace.dir, 'tree', 'etc', 'motd'), 0o640);
  await chmod(join(workspace.dir, 'tree', 'etc'), 0o700); // a tree made under umask 077 leaves the image's /etc as it is
  const config = await writeConfig(workspace, 'x86', [
    'board: x86-64', 'hostname: vote1', 'image: { size: 3GiB }', 'files: tree',
    'overlays:',
    '  vote-backend:',
    '    polls:',
    '      - { id: awards, title: Best song, choices: [{ id: a, label: Song A }, { id: b, label: Song B }, { id: c, label: Song C }] }',
  ]);
  t.context = { workspace, config, votePort: await freePort() };
});

serial(`x86-64 builds a GPT disk.img with an EFI system partition holding systemd-boot`, async (t) => {
  t.timeout(30 * 60_000);
  const { workspace, config } = t.context;
  const result = await runCliIn(workspace, ['build', '-c', config]);
  t.is(result.exitCode, 0, result.stderr.slice(-3000));
  const disk = join(workspace.dir, 'out', 'x86-64', 'disk.img');
  const table = String((await execa('sfdisk', ['--dump', disk])).stdout);
  t.regex(table, /label: gpt/);
  t.regex(table, /disk\.img1 : start=\s*2048, size=\s*524288, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B/);
  t.regex(table, /disk\.img2 : start=\s*526336, .*type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709/);
  const esp = String((await execa('mdir', ['-i', `${disk}@@1M`, '-/', '::/'])).stdout);
  t.regex(esp, /BOOTX64 +EFI/);
  t.regex(esp, /mcdebian\.conf/);
  const fsck = await execa('e2fsck', ['-fn', join(workspace.dir, 'out', 'x86-64', 'rootfs.ext4')], { reject: false });
  t.is(fsck.exitCode, 0, String(fsck.stdout));
  // files: is in the image with its mode, owned by root, and listed in the manifest
  const listing = String((await execa('tar', ['-tvf', join(workspace.dir, 'out', 'x86-64', 'rootfs.tar'), '--no-recursion', './etc/', './etc/motd'])).stdout);
  // rootfs.tar has numeric owners only (no names in the headers): root is 0/0
  t.regex(listing, /^drwxr-xr-x 0\/0 .* \.\/etc\/\n-rw-r----- 0\/0 +21 .* \.\/etc\/motd$/);
  const manifest = JSON.parse(await readFile(join(workspace.dir, 'out', 'x86-64', 'manifest.json'), 'utf8')) as Manifest;
  t.deepEqual(manifest.userFiles, [
    { path: '/etc/motd', mode: '0640', sha256: createHash('sha256').update('McDebian vote server\n').digest('hex') },
  ]);
});

serial(`x86-64 boots under OVMF, reaches multi-user with no failed unit, and the key logs in`, async (t) => {
  t.timeout(20 * 60_000);
  const { workspace, config, votePort } = t.context;
  const guest = await bootGuest(workspace, config, { minutes: 8, forwards: [`tcp:${votePort}:8080`] });
  running = guest;
  const state = await guest.run('systemctl is-system-running --wait');
  t.is(state.stdout.trim(), 'running', (await guest.run('systemctl --failed --no-legend')).stdout);
  t.is((await guest.run('hostname')).stdout.trim(), 'vote1');
  t.regex((await guest.run('findmnt -n -o SOURCE,FSTYPE /')).stdout, /^\/dev\/vda2 ext4/);
  t.regex((await guest.run('cat /proc/cmdline')).stdout, /root=UUID=[0-9a-f-]{36}/);
});

/** The guest's votes table: the ids as the service prints them (32 hex digits). */
async function tableIds(guest: BootedGuest): Promise<string[]> {
  const result = await guest.run('mariadb --batch --skip-column-names -e "SELECT LOWER(HEX(id)) FROM votes.votes" 2>&1');
  const lines = result.stdout.split('\n').filter((line) => line !== '');
  if (result.code !== 0 || lines.some((line) => !/^[0-9a-f]{32}$/.test(line))) throw new Error(`reading the votes table failed: ${result.stdout.slice(-2000)}`);
  return lines;
}

/**
 * GET through QEMU's forwarded port, given up after 30 s: a connection that QEMU's user network
 * accepted before the guest's service listened was seen to leave fetch's promise pending for
 * ever, its socket gone (the wait around it then never tried again).
 */
async function getJson<T>(url: string): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(30_000) });
  return { status: response.status, body: (await response.json()) as T };
}

serial(`vote-backend in the booted image: votes through a forwarded port are counted, and systemctl kill -s KILL under load loses none that got a 202`, async (t) => {
  t.timeout(20 * 60_000);
  const guest = running;
  if (!guest) return t.fail('the guest did not boot (see the test before)');
  const url = `http://127.0.0.1:${t.context.votePort}`;
  const unit = 'mcdebian-vote-backend.service';
  const files = await guest.run(`stat -c '%a %U %n' /etc/mcdebian/secrets/vote-backend/database-password; sysctl -n net.core.somaxconn; systemctl show -p LimitNOFILE -p User ${unit}`);
  t.regex(files.stdout, /^600 root \/etc\/mcdebian\/secrets\/vote-backend\/database-password$/m, 'the database password is root\'s, 0600');
  t.regex(files.stdout, /^4096$/m);
  t.regex(files.stdout, /^LimitNOFILE=65536$/m);
  t.regex(files.stdout, /^User=votebackend$/m);
  await waitUntil('/healthz answering 200 through the forwarded port', async () => (await getJson(`${url}/healthz`)).status, (status) => status === 200, 5 * 60_000);

  const poll = { id: 'awards', choices: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] };
  const load = startVoters(url, { clients: 8, poll });
  try {
    await load.acceptedMore(300, 5 * 60_000);
    const killed = await guest.run(`systemctl kill -s KILL ${unit} 2>&1`);
    t.is(killed.code, 0, killed.stdout);
    // back by itself (Restart=always), taking votes again
    await load.acceptedMore(300, 5 * 60_000);
  } finally {
    await load.stop();
  }
  const accepted = [...load.accepted.keys()];
  const other = Object.fromEntries([...load.answers].filter(([status]) => status !== 202));
  t.regex((await guest.run(`systemctl show -p NRestarts ${unit}`)).stdout, /^NRestarts=[1-9]/m, 'systemd restarted the killed service');
  t.true(Object.keys(other).length > 0, 'the kill was felt: some requests failed or were refused while the service was away');

  // every 202 reaches the table once the journals drain; the results agree with the table
  await waitUntil('the journals drained', async () => (await getJson<{ journal: { pending: number } }>(`${url}/healthz`)).body.journal.pending, (pending) => pending === 0, 3 * 60_000);
  const ids = await tableIds(guest);
  t.is(new Set(ids).size, ids.length, 'no vote is in the table twice');
  const inTable = new Set(ids);
  const missing = accepted.filter((id) => !inTable.has(id));
  t.deepEqual(missing, [], `${missing.length} of ${accepted.length} votes answered 202 are not in the table (other answers: ${JSON.stringify(other)})`);
  await waitUntil('the results counting the table', async () => (await getJson<{ total: number }>(`${url}/polls/awards/results`)).body.total, (total) => total === ids.length, 60_000);
  t.log(`${accepted.length} votes answered 202, ${ids.length} in the table, other answers: ${JSON.stringify(other)}`);
  t.is(await guest.powerOff(), 0);
  running = undefined;
});
