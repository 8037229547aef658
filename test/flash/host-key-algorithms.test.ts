import test from 'ava';
import ssh2 from 'ssh2';
import { keyTypeOf, preferKnownHostKeys } from '../../flash/host-key-algorithms.js';

const blobOf = (type: 'ed25519' | 'ecdsa' | 'rsa') => {
  const pair = type === 'rsa' ? ssh2.utils.generateKeyPairSync('rsa', { bits: 1024 })
    : type === 'ecdsa' ? ssh2.utils.generateKeyPairSync('ecdsa', { bits: 384 }) : ssh2.utils.generateKeyPairSync('ed25519');
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
