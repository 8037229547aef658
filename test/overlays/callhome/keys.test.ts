import test from 'ava';
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, parseHostKeys, publicKeyOf } from '../../../overlays/callhome/keys.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const ED25519 = 'AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF';

test('a host key file may be a .pub, ssh-keyscan output or known_hosts lines, hashed or not', (t) => {
  t.deepEqual(parseHostKeys(`ssh-ed25519 ${ED25519} root@hq\n`), [{ type: 'ssh-ed25519', base64: ED25519 }]);
  t.deepEqual(parseHostKeys(`# hq.example:22 SSH-2.0-OpenSSH_9.2p1\nhq.example ssh-ed25519 ${ED25519}\n`), [{ type: 'ssh-ed25519', base64: ED25519 }]);
  t.deepEqual(parseHostKeys(`|1|F1E1KeoE/eEWhi10WpGv4OdiO6Y=|3988QV0VE8wmZL7suNrYQLITLCg= ssh-ed25519 ${ED25519}\n`).length, 1);
});

test('a host key file that holds no usable key is refused with the line and the fix', (t) => {
  t.throws(() => parseHostKeys('\n# nothing\n'), { message: /holds no public key; get one with ssh-keyscan/ });
  t.throws(() => parseHostKeys('hq.example 192.0.2.1\n'), { message: /line 1 is not an SSH public key/ });
  t.throws(() => parseHostKeys(`ssh-rsa ${ED25519}\n`), { message: /line 1: the ssh-rsa key's data is damaged or of another type/ });
  t.throws(() => parseHostKeys(`ssh-ed25519 ${ED25519.slice(0, 40)}\n`), { message: /damaged/ });
  t.throws(() => parseHostKeys(`@cert-authority *.example ssh-ed25519 ${ED25519}\n`), { message: /@cert-authority markers are not supported/ });
});

test('the public half of a private key matches what ssh-keygen wrote; encrypted and public keys are refused', async (t) => {
  const dir = await makeTempDir(t);
  await generateKeyPair(join(dir, 'keys', 'tunnel'), 'mcdebian-callhome@test');
  const pub = (await readFile(join(dir, 'keys', 'tunnel.pub'), 'utf8')).split(' ');
  const derived = publicKeyOf(await readFile(join(dir, 'keys', 'tunnel'), 'utf8'));
  t.deepEqual([derived.type, derived.base64], [pub[0], pub[1]]);
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', join(dir, 'locked')]);
  const locked = await readFile(join(dir, 'locked'), 'utf8');
  t.throws(() => publicKeyOf(locked), { message: /protected by a passphrase.*ssh-keygen -p/ });
  t.throws(() => publicKeyOf(pub.join(' ')), { message: /is a public key; name the private key file/ });
  t.throws(() => publicKeyOf('hello\n'), { message: /is not an SSH private key/ });
});

test('a generated key pair sits in a directory only its owner can read', async (t) => {
  const dir = await makeTempDir(t);
  const key = join(dir, 'secrets', 'gw1', 'callhome-tunnel-key');
  await generateKeyPair(key, 'c');
  const mode = async (path: string) => (await execa('stat', ['-c', '%a', path])).stdout;
  t.is(await mode(join(dir, 'secrets', 'gw1')), '700');
  t.is(await mode(key), '600');
});
