import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../../../overlays/dns-blacklist/app/config.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';

const MINIMAL = {
  tsigKeyFile: '/etc/bind/mcdebian-rpz.key',
  action: { kind: 'sink', address: '192.168.1.1' },
  api: { listen: '192.168.1.1', passwordHashFile: '/etc/mcdebian/dns-blacklist/admin.hash' },
};

test('a minimal config gets the documented defaults', (t) => {
  t.deepEqual(parseConfig(MINIMAL, 'admin.json', {}), {
    zone: 'rpz.mcdebian',
    server: { address: '127.0.0.1', port: 53 },
    tsigKeyFile: '/etc/bind/mcdebian-rpz.key',
    action: { kind: 'sink', address: '192.168.1.1' },
    ttl: 60,
    api: { listen: '192.168.1.1', port: 8053, user: null, passwordHashFile: '/etc/mcdebian/dns-blacklist/admin.hash', tls: null },
    blockedPage: null,
  });
});

test('a full config is taken as given; the zone loses its final dot and capitals', (t) => {
  const full = {
    zone: 'RPZ.Example.', server: { address: '::1', port: 5353 }, tsigKeyFile: 'k', action: { kind: 'nxdomain' }, ttl: 300,
    api: { listen: '0.0.0.0', port: 8443, user: 'admin', passwordHashFile: 'h', tls: { certFile: 'c', keyFile: 'k' } },
    blockedPage: { listen: '192.168.1.1', port: 8080 },
  };
  t.deepEqual(parseConfig(full, 'admin.json', {}), { ...full, zone: 'rpz.example' });
});

test('%d/ names a file in systemd\'s credentials directory; other paths are read as given', (t) => {
  const config = parseConfig({
    ...MINIMAL, tsigKeyFile: '%d/rpz-key',
    api: { ...MINIMAL.api, passwordHashFile: '%d/admin-password', tls: { certFile: '/etc/ssl/api.pem', keyFile: '%d/api-key' } },
  }, 'admin.json', { CREDENTIALS_DIRECTORY: '/run/credentials/mcdebian-dns-blacklist.service' });
  t.is(config.tsigKeyFile, '/run/credentials/mcdebian-dns-blacklist.service/rpz-key');
  t.is(config.api.passwordHashFile, '/run/credentials/mcdebian-dns-blacklist.service/admin-password');
  t.deepEqual(config.api.tls, { certFile: '/etc/ssl/api.pem', keyFile: '/run/credentials/mcdebian-dns-blacklist.service/api-key' });
});

test('%d/ without $CREDENTIALS_DIRECTORY is an error naming the field', (t) => {
  t.throws(() => parseConfig({ ...MINIMAL, tsigKeyFile: '%d/rpz-key' }, 'admin.json', {}), {
    name: 'ConfigError', message: /^admin\.json: tsigKeyFile is %d\/rpz-key, but \$CREDENTIALS_DIRECTORY is not set/,
  });
});

const refused = test.macro({
  exec(t, json: unknown, message: RegExp) {
    t.throws(() => parseConfig(json, 'admin.json', {}), { name: 'ConfigError', message });
  },
  title: (given) => `a config ${given} is refused with the field named`,
});

test('without a TSIG key', refused, { ...MINIMAL, tsigKeyFile: undefined }, /^admin\.json: tsigKeyFile: /);
test('with an unknown action', refused, { ...MINIMAL, action: { kind: 'drop' } }, /action\.kind: /);
test('with a sink that is not an address', refused, { ...MINIMAL, action: { kind: 'sink', address: 'router.lan' } }, /action\.address: must be an IP address/);
test('with a port out of range', refused, { ...MINIMAL, api: { ...MINIMAL.api, port: 70000 } }, /api\.port: /);
test('with a misspelt field', refused, { ...MINIMAL, blockedpage: null }, /Unrecognized key: "blockedpage"/);
test('with a zone that is not a name', refused, { ...MINIMAL, zone: 'rpz mcdebian' }, /zone: must be a zone name/);

test('the file must exist and be JSON', async (t) => {
  const dir = await makeTempDir(t);
  await t.throwsAsync(loadConfig(join(dir, 'none.json'), {}), { name: 'ConfigError', message: /^cannot read the config .*none\.json: ENOENT/ });
  await writeFile(join(dir, 'bad.json'), '{ zone: ');
  await t.throwsAsync(loadConfig(join(dir, 'bad.json'), {}), { message: /bad\.json is not JSON: / });
  await writeFile(join(dir, 'ok.json'), JSON.stringify(MINIMAL));
  t.is((await loadConfig(join(dir, 'ok.json'), {})).zone, 'rpz.mcdebian');
});

const refusedUser = test.macro({
  exec(t, user: string, reason: RegExp) {
    const error = t.throws(() => parseConfig({ ...MINIMAL, api: { ...MINIMAL.api, user } }, 'admin.json', {}), { name: 'ConfigError' });
    t.regex(error?.message ?? '', reason);
  },
  title: (given) => `an api.user ${given} is refused: nobody could log in with it`,
});

test('with a colon', refusedUser, 'ad:min', /^admin\.json: api\.user: contains ":", which HTTP Basic authentication cannot carry in a user name \(RFC 7617, section 2\)$/);
test('with a control character', refusedUser, 'admin\n', /api\.user: contains the control character U\+000a, .*RFC 7617/);
