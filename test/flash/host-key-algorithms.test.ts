import test from 'ava';
import { sshKeyPair } from '../helpers/ssh-key-pair.js';
import { keyTypeOf, preferKnownHostKeys } from '../../flash/host-key-algorithms.js';

const blobOf = (type: 'ed25519' | 'ecdsa' | 'rsa') => {
  const pair = type === 'rsa' ? sshKeyPair('rsa', 1024) : type === 'ecdsa' ? sshKeyPair('ecdsa', 384) : sshKeyPair('ed25519');
  return pair.public.split(' ')[1]!;
};

test('a key blob names its type in its first field', (t) => {
  t.is(keyTypeOf(blobOf('ed25519')), 'ssh-ed25519');
  t.is(keyTypeOf(blobOf('ecdsa')), 'ecdsa-sha2-nistp384');
  t.is(keyTypeOf(blobOf('rsa')), 'ssh-rsa');
  t.is(keyTypeOf(''), undefined);
  t.is(keyTypeOf(Buffer.from([0xff, 0xff, 0xff, 0xff, 1]).toString('base64')), undefined);
});

test('the known keys\' algorithms go first, RSA as its SHA-2 signatures before ssh-rsa; nothing known leaves ssh2\'s default', (t) => {
  t.deepEqual(preferKnownHostKeys([blobOf('rsa'), blobOf('ecdsa'), blobOf('rsa')])?.serverHostKey, {
    remove: ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ecdsa-sha2-nistp384'],
    prepend: ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ecdsa-sha2-nistp384'],
    append: [],
  });
  t.is(preferKnownHostKeys([]), undefined);
  t.is(preferKnownHostKeys(['not a key']), undefined);
});
