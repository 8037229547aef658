import test from 'ava';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getBoard } from '../../../board/index.js';
import { callhomeSchema } from '../../../overlays/callhome/schema.js';
import { generateKeyPair } from '../../../overlays/callhome/keys.js';
import { renderCallhome } from '../../../overlays/callhome/render.js';
import type { ReadFile } from '../../../overlays/overlay.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testWithTools } from '../../helpers/tools.js';

const HOST_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF root@hq';
const config = callhomeSchema.parse({ host: 'hq.example', user: 'incoming', hostKey: 'hq.pub', remotePort: 5000 });
const context = { board: getBoard('wrt1200ac'), hostname: 'gw1', lanAddress: '192.168.1.1/24' };

async function readFiles(dir: string): Promise<ReadFile[]> {
  const key = join(dir, 'tunnel');
  await generateKeyPair(key, 'x');
  return [
    { field: ['hostKey'], path: 'hq.pub', file: '/cfg/hq.pub', content: `${HOST_KEY}\n`, secret: false, generated: false },
    { field: ['privateKey'], path: 'tunnel', file: key, content: await readFile(key, 'utf8'), secret: true, generated: true },
  ];
}

const fileAt = (render: ReturnType<typeof renderCallhome>, path: string) => {
  const found = render.files.find((file) => file.path === path);
  if (!found) throw new Error(`no ${path}`);
  return found;
};

test('the unit runs ssh -N -T -R as its own user, restarts forever and is hardened', async (t) => {
  const render = renderCallhome(config, await readFiles(await makeTempDir(t)), context);
  const unit = fileAt(render, '/etc/systemd/system/mcdebian-callhome.service').content!;
  t.regex(unit, /^ExecStart=\/usr\/bin\/ssh -F \/etc\/mcdebian\/callhome\/ssh_config -i %d\/tunnel-key -N -T -R localhost:5000:localhost:22 callhome$/m);
  for (const line of ['User=callhome', 'Restart=always', 'RestartSec=1', 'StartLimitIntervalSec=0', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'PrivateTmp=yes',
    'LoadCredential=tunnel-key:/etc/mcdebian/secrets/callhome/tunnel-key', 'CapabilityBoundingSet=']) {
    t.true(unit.split('\n').includes(line), line);
  }
  t.deepEqual(render.units, ['mcdebian-callhome.service']);
  t.is(fileAt(render, '/usr/lib/sysusers.d/mcdebian-callhome.conf').content, 'u callhome - "McDebian callhome tunnel" /nonexistent /usr/sbin/nologin\n');
});

test('the host key is pinned under an alias, strictly, with keepalives and exit on forward failure', async (t) => {
  const render = renderCallhome(config, await readFiles(await makeTempDir(t)), context);
  t.is(fileAt(render, '/etc/mcdebian/callhome/known_hosts').content, `mcdebian-callhome ${HOST_KEY.split(' ').slice(0, 2).join(' ')}\n`);
  const sshConfig = fileAt(render, '/etc/mcdebian/callhome/ssh_config').content!;
  for (const line of ['HostName hq.example', 'Port 22', 'User incoming', 'HostKeyAlias mcdebian-callhome', 'StrictHostKeyChecking yes',
    'UserKnownHostsFile /etc/mcdebian/callhome/known_hosts', 'ServerAliveInterval 3', 'ServerAliveCountMax 2', 'ExitOnForwardFailure yes', 'BatchMode yes']) {
    t.true(sshConfig.split('\n').map((l) => l.trim()).includes(line), line);
  }
  t.notRegex(sshConfig, /StrictHostKeyChecking (no|accept-new)|\/dev\/null.*UserKnownHostsFile|UserKnownHostsFile \/dev\/null/);
});

test('the private key is a marked secret with mode 0600; its public half goes to the outputs', async (t) => {
  const files = await readFiles(await makeTempDir(t));
  const render = renderCallhome(config, files, context);
  const secret = fileAt(render, '/etc/mcdebian/secrets/callhome/tunnel-key');
  t.is(secret.mode, 0o600);
  t.deepEqual(secret.secret, { overlay: 'callhome', field: 'privateKey', source: files[1]!.file });
  const pub = (await readFile(`${files[1]!.file}.pub`, 'utf8')).split(' ').slice(0, 2).join(' ');
  const output = (path: string) => render.outputs.find((o) => o.path === path)?.content ?? '';
  t.is(output('tunnel-key.pub'), `${pub} mcdebian-callhome@gw1\n`);
  t.is(output('authorized_keys'), `restrict,port-forwarding,permitlisten="localhost:5000",command="/bin/false" ${pub} mcdebian-callhome@gw1\n`);
  t.regex(output('sshd_config'), /^Match User incoming\n {4}ClientAliveInterval 3\n {4}ClientAliveCountMax 2\n/m);
  t.false(render.outputs.some((o) => o.content.includes('PRIVATE KEY')));
  t.false(render.files.filter((f) => !f.secret).some((f) => f.content?.includes('PRIVATE KEY')));
});

testWithTools({ ssh: 'openssh-client' }, 'ssh itself reads the rendered client config as meant', async (t) => {
  const dir = await makeTempDir(t);
  const render = renderCallhome({ ...config, serverAliveInterval: 7, port: 2222 }, await readFiles(dir), context);
  await writeFile(join(dir, 'ssh_config'), fileAt(render, '/etc/mcdebian/callhome/ssh_config').content!);
  const { stdout } = await execa('ssh', ['-G', '-F', join(dir, 'ssh_config'), '-R', 'localhost:5000:localhost:22', 'callhome']);
  for (const line of ['hostname hq.example', 'port 2222', 'user incoming', 'stricthostkeychecking true', 'serveraliveinterval 7', 'serveralivecountmax 2',
    'exitonforwardfailure yes', 'hostkeyalias mcdebian-callhome', 'remoteforward [localhost]:5000 [localhost]:22', 'batchmode yes']) {
    t.true(stdout.split('\n').includes(line), line);
  }
});

testWithTools({ sshd: 'openssh-server' }, 'sshd accepts the managed host\'s sshd_config lines and applies them to the tunnel user only', async (t) => {
  const dir = await makeTempDir(t);
  const render = renderCallhome(config, await readFiles(dir), context);
  await writeFile(join(dir, 'callhome.conf'), render.outputs.find((o) => o.path === 'sshd_config')!.content);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  await writeFile(join(dir, 'sshd_config'), `HostKey ${join(dir, 'host_key')}\nInclude ${join(dir, 'callhome.conf')}\n`);
  const effective = async (user: string) => (await execa('sshd', ['-T', '-f', join(dir, 'sshd_config'), '-C', `user=${user},host=hq,addr=127.0.0.1`])).stdout.split('\n');
  const tunnel = await effective('incoming');
  t.true(tunnel.includes('clientaliveinterval 3') && tunnel.includes('allowtcpforwarding remote') && tunnel.includes('permittty no'));
  t.true((await effective('admin')).includes('clientaliveinterval 0'));
});
