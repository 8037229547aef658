import test from 'ava';
import { readFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { DEFAULT_IDENTITY_FILES, expandIdentityPath, parseSshG, readOpenSshIdentities } from '../../flash/openssh-config.js';

const FIXTURES = new URL('../../../test/fixtures/flash/', import.meta.url);

test('ssh -G output (OpenSSH 9.2, no user config) gives the default identity files in order', async (t) => {
  const parsed = parseSshG(await readFile(new URL('ssh-G-openssh-9.2.txt', FIXTURES), 'utf8'));
  t.false(parsed.identitiesOnly);
  t.deepEqual(parsed.files, ['~/.ssh/id_rsa', '~/.ssh/id_ecdsa', '~/.ssh/id_ecdsa_sk', '~/.ssh/id_ed25519', '~/.ssh/id_ed25519_sk', '~/.ssh/id_xmss', '~/.ssh/id_dsa']);
});

test('a host block\'s IdentityFile and IdentitiesOnly come through ssh -G as written', (t) => {
  t.deepEqual(parseSshG('user root\nidentitiesonly yes\nidentityfile %d/.ssh/router_%h\nidentityfile ~/keys/with space\n'), {
    files: ['%d/.ssh/router_%h', '~/keys/with space'], identitiesOnly: true,
  });
});

const values = { home: '/home/ada', host: '192.168.1.1', port: 2222, remoteUser: 'root' };
const expands = test.macro((t, written: string, expected: string | undefined) => {
  t.is(expandIdentityPath(written, values), expected);
});
test('~/ is the home directory', expands, '~/.ssh/id_ed25519', '/home/ada/.ssh/id_ed25519');
test('%d %h %p %r are home, host, port and remote user', expands, '%d/.ssh/%r@%h:%p', '/home/ada/.ssh/root@192.168.1.1:2222');
test('%u is the local user and %% a percent sign', expands, `/keys/%u-100%%`, `/keys/${userInfo().username}-100%`);
test('%l is the local host name', expands, '/keys/%l', `/keys/${hostname()}`);
test('a token that needs OpenSSH\'s own state (%C) is not guessed at', expands, '~/.ssh/%C', undefined);
test('a path without tokens stays as it is', expands, '/etc/keys/router', '/etc/keys/router');

test('the real ssh -G names at least every default identity ssh_config(5) lists, in its order', async (t) => {
  const { files } = await readOpenSshIdentities({ host: '127.0.0.1', port: 2222, user: 'root' });
  t.deepEqual(files.filter((file) => DEFAULT_IDENTITY_FILES.includes(file)), DEFAULT_IDENTITY_FILES);
});
