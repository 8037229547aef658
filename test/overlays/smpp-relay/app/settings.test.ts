import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GROUP_KEYS, REFUSED_GROUPS, type KeyRule } from '../../../../overlays/smpp-relay/app/config-keys.js';
import { formatIssue, loadKannelConf, readSettings, type ConfigIssue, type SettingsResult } from '../../../../overlays/smpp-relay/app/settings.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../../../../../test/fixtures/smpp-relay/', import.meta.url));
const MAIN = '/etc/kannel/kannel.conf';

/** The smallest config the relay runs: one of each group. */
const BASE: Record<string, string[]> = {
  core: ['admin-port = 13000', 'admin-password = bar'],
  smsbox: ['sendsms-port = 13013'],
  smsc: ['smsc = smpp', 'smsc-id = a', 'host = 127.0.0.1', 'port = 2775', 'smsc-username = u', 'smsc-password = p', 'system-type = ""'],
  'sendsms-user': ['username = tester', 'password = foobar'],
};

/** BASE with lines added to its groups, then `more` (further groups) at the end. */
function conf(extra: Record<string, string[]> = {}, more = ''): string {
  const groups = Object.entries(BASE).map(([name, lines]) => [`group = ${name}`, ...lines, ...(extra[name] ?? [])].join('\n'));
  return `${groups.join('\n\n')}\n\n${more}`;
}

function load(text: string, files: Record<string, string> = {}): SettingsResult {
  const all: Record<string, string> = { [MAIN]: text, ...files };
  return loadKannelConf(MAIN, (path) => {
    const found = all[path];
    if (found === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return found;
  });
}

const lineOf = (text: string, line: string) => text.split('\n').indexOf(line) + 1;
const errors = (result: SettingsResult) => result.issues.filter((issue) => issue.severity === 'error');
const warnings = (result: SettingsResult) => result.issues.filter((issue) => issue.severity === 'warning');
const about = (result: SettingsResult, key: string) => result.issues.filter((issue) => issue.key === key);

const fixtureLoads = test.macro({
  exec(t, name: string) {
    const result = loadKannelConf(join(FIXTURES, name));
    t.deepEqual(errors(result).map(formatIssue), []);
    t.truthy(result.settings);
  },
  title: (_given, name: string) => `${name} loads without errors`,
});

for (const name of ['active-passive.conf', 'active-active.conf', 'drive-smpp.conf', 'full.conf']) test(fixtureLoads, name);

test('a minimal config gets Kannel\'s defaults (drive_smpp.conf)', (t) => {
  const path = join(FIXTURES, 'drive-smpp.conf');
  t.deepEqual(loadKannelConf(path).settings, {
    core: { adminPort: 13000, adminPassword: 'bar', smsResendFreq: 60, smsResendRetry: -1, smsOutgoingQueueLimit: 1_000_000, dlrExpiryHours: 72 },
    smsbox: { sendsmsPort: 13013, globalSender: '123', sendsmsChars: '0123456789 +-' },
    links: [{
      origin: { file: path, line: 15 }, name: 'smpp', smscId: 'smpp', host: '127.0.0.1', port: 2345, tls: false, transceiver: false,
      systemId: 'foo', password: 'bar', systemType: 'VMA', addressRange: '', enquireLinkInterval: 30, maxPendingSubmits: 10,
      reconnectDelay: 10, throughput: 0, waitAck: 60, waitAckExpire: 'requeue', connectionTimeout: 300, healthFailures: 3, healthProbeDelay: 5,
    }],
    users: [{ origin: { file: path, line: 31 }, username: 'tester', password: 'foobar', name: 'tester', maxMessages: 1, concatenation: false }],
  });
});

test('the active-passive example routes by preference, and its "realiable_smpp_gw" typo is a warning with the likely id', (t) => {
  const path = join(FIXTURES, 'active-passive.conf');
  const result = loadKannelConf(path);
  t.deepEqual(result.settings?.links.map((link) => [link.name, link.allowedSmscIds, link.preferredSmscIds]), [
    ['reliable_smpp_gw', ['reliable_smpp_gw'], ['reliable_smpp_gw']],
    ['unreliable_smpp_gw', ['unreliable_smpp_gw', 'realiable_smpp_gw'], ['unreliable_smpp_gw']],
  ]);
  t.deepEqual(about(result, 'allowed-smsc-id'), [{
    file: path, line: 34, group: 'smsc', key: 'allowed-smsc-id', severity: 'warning',
    message: 'allowed-smsc-id names "realiable_smpp_gw", which is no link\'s smsc-id (did you mean "reliable_smpp_gw"?): Kannel allows this, but it is almost always a typo',
  }]);
  t.deepEqual(result.settings?.users.map((user) => [user.forcedSmsc, user.defaultSmsc]), [['reliable_smpp_gw', undefined]]);
});

test('the active-active example makes two links with one smsc-id and distinct names', (t) => {
  const result = loadKannelConf(join(FIXTURES, 'active-active.conf'));
  t.deepEqual(result.settings?.links.map((link) => [link.name, link.smscId, link.host, link.systemId]), [
    ['smpp_carrier_gw', 'smpp_carrier_gw', 'smpp1.carrier.example', 'carrier1'],
    ['smpp_carrier_gw#2', 'smpp_carrier_gw', 'smpp2.carrier.example', 'carrier2'],
  ]);
  t.deepEqual(about(result, 'forced-smsc'), []);
});

test('a full production config is read with its include, quoting, hex numbers and instances', (t) => {
  const result = loadKannelConf(join(FIXTURES, 'full.conf'));
  const settings = result.settings!;
  t.like(settings.core, {
    adminInterface: '127.0.0.1', adminPassword: 's3cr"et', statusPassword: 'status', adminAllowIp: '127.0.0.1;192.168.1.*', adminDenyIp: '*.*.*.*',
    storeLocation: '/var/spool/kannel/store', smsResendFreq: 30, smsResendRetry: 10, smsOutgoingQueueLimit: 5000, sslTrustedCaFile: '/etc/ssl/certs/ca-certificates.crt',
  });
  t.deepEqual(settings.smsbox, { sendsmsPort: 13013, sendsmsInterface: '0.0.0.0', globalSender: 'ACME', sendsmsChars: '0123456789 +-' });
  t.deepEqual(settings.links.map((link) => link.name), ['main-trx', 'backup', 'backup#2']);
  t.like(settings.links[0], {
    smscId: 'main', transceiver: true, password: 'pa;ss word', sourceAddrTon: 5, sourceAddrNpi: 0, destAddrTon: 1, destAddrNpi: 1,
    enquireLinkInterval: 45, maxPendingSubmits: 20, reconnectDelay: 15, throughput: 12.5, waitAck: 90, waitAckExpire: 'reconnect',
    connectionTimeout: 600, msgIdType: 1, allowedSmscIds: ['main', 'bulk'], preferredSmscIds: ['main'],
  });
  t.like(settings.links[2], { smscId: 'backup', tls: true, port: 3550, systemType: 'SMPP', allowedSmscIds: ['backup', 'bulk'] });
  t.deepEqual(settings.users.map((user) => [user.name, user.origin.file.endsWith('full-users.conf'), user.concatenation, user.maxMessages]), [
    ['Web shop', true, true, 3], ['newsletter', true, true, 6],
  ]);
  t.like(settings.users[1], { forcedSmsc: 'bulk', fakedSender: 'ACME News' });
  t.like(settings.users[0], { dlrUrl: 'http://127.0.0.1/dlr?id=%i&status=%d', userAllowIp: '127.0.0.1;192.168.1.*', defaultSmsc: 'main' });
});

test('warnings come in file order, each naming its file, line, group and key', (t) => {
  const result = loadKannelConf(join(FIXTURES, 'full.conf'));
  const lines = warnings(result).map((issue) => issue.line);
  t.deepEqual(lines, [...lines].sort((a, b) => a - b));
  t.true(warnings(result).every((issue) => issue.file.endsWith('full.conf') && issue.group !== '' && issue.key !== undefined));
});

test('the McDebian keys are read: health-failures, health-probe-delay, dlr-expiry', (t) => {
  const settings = load(conf({ smsc: ['health-failures = 5', 'health-probe-delay = 12'], core: ['dlr-expiry = 24'] })).settings;
  t.like(settings?.links[0], { healthFailures: 5, healthProbeDelay: 12 });
  t.is(settings?.core.dlrExpiryHours, 24);
});

const unsupportedValue = (rule: Extract<KeyRule, { status: 'unsupported' }>): string => {
  const harmless = rule.harmless?.value;
  if (typeof harmless === 'boolean') return harmless ? 'no' : 'yes';
  return typeof harmless === 'number' ? '999' : 'x';
};

// Every key the relay does not do, in every group, is refused with its line and what to do instead.
for (const [group, table] of Object.entries(GROUP_KEYS)) {
  for (const [key, rule] of Object.entries(table)) {
    if (rule.status !== 'unsupported') continue;
    test(`${group}.${key} is refused with its line and what to do instead`, (t) => {
      const line = `${key} = ${unsupportedValue(rule)}`;
      const text = conf({ [group]: [line] });
      const result = load(text);
      t.is(result.settings, undefined);
      t.deepEqual(errors(result), [{ file: MAIN, line: lineOf(text, line), group, key, severity: 'error', message: `${key} is not supported by the relay: ${rule.instead}` }]);
    });
  }
}

test('a key Kannel ignores in SMPP, or that exists because Kannel is two processes, is a warning with its reason', (t) => {
  for (const [group, table] of Object.entries(GROUP_KEYS)) {
    for (const [key, rule] of Object.entries(table)) {
      if (rule.status !== 'ignored') continue;
      const result = load(conf({ [group]: [`${key} = 1`] }));
      t.deepEqual(errors(result), [], `${group}.${key}`);
      t.deepEqual(about(result, key).map((issue) => [issue.severity, issue.message]), [['warning', `${key} has no effect: ${rule.reason}`]], `${group}.${key}`);
    }
  }
});

const harmless = test.macro({
  exec(t, group: string, line: string) {
    const result = load(conf({ [group]: [line] }));
    t.truthy(result.settings);
    t.deepEqual(warnings(result).map((issue) => issue.message), [`${line} is Kannel's default and changes nothing`]);
  },
  title: (_given, group: string, line: string) => `${group}: "${line}", Kannel's default for a key the relay does not do, is only a warning`,
});

test(harmless, 'smsc', 'dead-start = false');
test(harmless, 'smsc', 'interface-version = 34');
test(harmless, 'smsc', 'source-addr-autodetect = yes');
test(harmless, 'smsc', 'reroute = no');
test(harmless, 'smsbox', 'sendsms-url = /cgi-bin/sendsms');
test(harmless, 'core', 'admin-port-ssl = off');

const refusedValue = test.macro({
  exec(t, group: string, line: string, message: string) {
    const text = conf({ [group]: [line] });
    const result = load(text);
    t.is(result.settings, undefined);
    const key = line.slice(0, line.indexOf('=')).trim();
    t.deepEqual(errors(result), [{ file: MAIN, line: lineOf(text, line), group, key, severity: 'error', message }]);
  },
  title: (_given, group: string, line: string) => `${group}: "${line}" is refused, saying what is allowed`,
});

test(refusedValue, 'core', 'admin-port = 70000', 'admin-port = "70000" is not valid: allowed: a whole number from 1 to 65535');
test(refusedValue, 'smsbox', 'sendsms-port = 0', 'sendsms-port = "0" is not valid: allowed: a whole number from 1 to 65535');
test(refusedValue, 'smsc', 'port = 2775 # smpp', 'port = "2775 # smpp" is not valid: not a whole number (Kannel would read 2775 and ignore the rest; it has no end-of-line comments); allowed: a whole number from 1 to 65535');
test(refusedValue, 'smsc', 'max-pending-submits = 0', 'max-pending-submits = "0" is not valid: allowed: a whole number, 1 or more');
test(refusedValue, 'smsc', 'throughput = -1', 'throughput = "-1" is not valid: allowed: a number, 0 or more, such as 10 or 0.5');
test(refusedValue, 'smsc', 'throughput = fast', 'throughput = "fast" is not valid: allowed: a number, 0 or more, such as 10 or 0.5');
test(refusedValue, 'smsc', 'transceiver-mode = si', 'transceiver-mode = "si" is not valid: allowed: true, false, yes, no, on, off, 1 or 0 (Kannel would take it as true)');
test(refusedValue, 'smsc', 'enquire-link-interval = 010', 'enquire-link-interval = "010" is not valid: Kannel reads a leading 0 as octal, so this is 8: write 8, or 10 without the 0; allowed: a whole number, 1 or more');
test(refusedValue, 'smsc', 'wait-ack-expire = 3', 'wait-ack-expire = "3" is not valid: allowed: 0x00 (reconnect), 0x01 (requeue) or 0x02 (keep waiting)');
test(refusedValue, 'smsc', 'msg-id-type = 4', 'msg-id-type = "4" is not valid: allowed: a whole number from 0 to 3');
test(refusedValue, 'smsc', 'source-addr-ton = x', 'source-addr-ton = "x" is not valid: not a whole number; allowed: a whole number from 0 to 255');
test(refusedValue, 'sendsms-user', 'max-messages = 0', 'max-messages = "0" is not valid: allowed: a whole number, 1 or more');
test(refusedValue, 'sendsms-user', 'concatenation = maybe', 'concatenation = "maybe" is not valid: allowed: true, false, yes, no, on, off, 1 or 0 (Kannel would take it as true)');
test(refusedValue, 'smsc', 'smsc-passwrd = p', 'smsc-passwrd is not a key of group smsc (did you mean "smsc-password"?)');
test(refusedValue, 'smsc', 'sms-resend-freq = 10', 'sms-resend-freq belongs in group core, not in group smsc');
test(refusedValue, 'smsc', 'host = ""', 'host is empty: give the SMSC\'s address');
test(refusedValue, 'smsc', 'smsc = emi', 'smsc = emi is not supported: the relay speaks SMPP only (smsc = smpp): remove this group, or reach that SMSC over SMPP');
test(refusedValue, 'smsc', 'smsc = SMPP', 'smsc = SMPP is not supported: write it in lower case, smsc = smpp, as Kannel needs');

const readsAs = test.macro({
  exec(t, line: string, expected: Record<string, unknown>) {
    t.like(load(conf({ smsc: [line] })).settings?.links[0], expected);
  },
  title: (_given, line: string, expected: Record<string, unknown>) => `"${line}" reads as ${JSON.stringify(expected)}`,
});

test(readsAs, 'wait-ack-expire = 0x02', { waitAckExpire: 'wait' });
test(readsAs, 'wait-ack-expire = 1', { waitAckExpire: 'requeue' });
test(readsAs, 'max-pending-submits = 0x1F', { maxPendingSubmits: 31 });
test(readsAs, 'max-pending-submits = 07', { maxPendingSubmits: 7 });
test(readsAs, 'throughput = .5', { throughput: 0.5 });
test(readsAs, 'use-ssl = On', { tls: true });
test(readsAs, 'transceiver-mode = 1', { transceiver: true });
test(readsAs, 'connection-timeout = 0', { connectionTimeout: 0 });
test(readsAs, 'allowed-smsc-id = "A;B;;c"', { allowedSmscIds: ['A', 'B', 'c'] });
test(readsAs, 'smsc-id = Upper', { smscId: 'Upper', name: 'Upper' });

test('ids with spaces around them are trimmed, with a warning that Kannel keeps the spaces', (t) => {
  const result = load(conf({ smsc: ['allowed-smsc-id = a; b'] }));
  t.deepEqual(result.settings?.links[0]?.allowedSmscIds, ['a', 'b']);
  t.regex(about(result, 'allowed-smsc-id')[0]?.message ?? '', /Kannel keeps spaces around the ids/);
});

test('values Kannel silently replaces are replaced the same way, with a warning', (t) => {
  const result = load(conf({ core: ['sms-resend-freq = 0', 'sms-outgoing-queue-limit = -1'] }));
  t.like(result.settings?.core, { smsResendFreq: 60, smsOutgoingQueueLimit: 1_000_000 });
  t.deepEqual(warnings(result).map((issue) => issue.message), [
    'sms-resend-freq = 0: Kannel takes a value below 1 as 60, and so does the relay',
    'sms-outgoing-queue-limit = -1: Kannel takes a value below 0 as 1000000, and so does the relay',
  ]);
});

const refusedConfig = test.macro({
  exec(t, text: string, expected: Array<Partial<ConfigIssue>>) {
    const result = load(text);
    t.is(result.settings, undefined);
    t.like(errors(result), expected);
    t.is(errors(result).length, expected.length);
  },
  title: (given) => `a config ${given} is refused`,
});

test('without a core group', refusedConfig, conf().replace(/group = core\n.*\n.*\n\n/, ''), [{ line: 0, message: 'there is no "group = core": the relay needs exactly one' }]);
test('with two smsbox groups', refusedConfig, conf({}, 'group = smsbox\nsendsms-port = 1\n'), [{ line: 21, group: 'smsbox', key: 'group', message: `a second smsbox group (the first is at ${MAIN}:5): Kannel would silently use only the last; keep one` }]);
test('without an smsc group', refusedConfig, conf().replace(/group = smsc\n(.*\n){7}\n/, ''), [{ line: 0, message: 'the relay needs at least one "group = smsc" with "smsc = smpp"' }]);
test('without a sendsms-user', refusedConfig, conf().replace(/group = sendsms-user\n.*\n.*\n/, ''), [{ line: 0, message: 'the relay needs at least one "group = sendsms-user": sendsms refuses every request without one' }]);
test('with an smsc group without smsc', refusedConfig, conf().replace('smsc = smpp\n', ''), [{ key: 'smsc', message: 'smsc is missing: the relay speaks SMPP, so write smsc = smpp' }]);
test('with a link without host', refusedConfig, conf().replace('host = 127.0.0.1\n', ''), [{ line: 8, key: 'host', message: 'host is missing: the SMSC\'s address, e.g. host = smsc.example.net' }]);
test('with a link without smsc-username', refusedConfig, conf().replace('smsc-username = u\n', ''), [{ line: 8, key: 'smsc-username', message: 'smsc-username is missing: the system_id the relay binds with' }]);
test('with a link without smsc-password', refusedConfig, conf().replace('smsc-password = p\n', ''), [{ key: 'smsc-password', message: 'smsc-password is missing: the bind password; Kannel refuses an smpp group without it' }]);
test('with an account without password', refusedConfig, conf().replace('password = foobar\n', ''), [{ key: 'password', group: 'sendsms-user' }]);
test('without admin-port', refusedConfig, conf().replace('admin-port = 13000\n', ''), [{ line: 1, key: 'admin-port', message: 'admin-port is missing: the status endpoint\'s port, e.g. admin-port = 13000' }]);
test('without sendsms-port', refusedConfig, conf().replace('sendsms-port = 13013\n', ''), [{ key: 'sendsms-port', group: 'smsbox' }]);
test('with two accounts of one username', refusedConfig, conf({}, 'group = sendsms-user\nusername = tester\npassword = other\n'), [{
  line: 22, key: 'username', message: `username tester is already the account at ${MAIN}:17: Kannel would only ever use the first; give each account its own username`,
}]);
test('with a group Kannel does not know', refusedConfig, conf({}, 'group = sendsms-usr\nusername = x\n'), [{ line: 21, key: 'group', message: '"sendsms-usr" is not a group Kannel knows (did you mean "sendsms-user"?)' }]);
test('with a syntax error', refusedConfig, conf({ core: ['log-level 0'] }), [{ line: 4, message: '"log-level 0" has no "=": every line is "key = value", a comment starting with #, or blank' }]);

test('every other group Kannel knows is refused as something the relay does not do', (t) => {
  for (const [group, what] of Object.entries(REFUSED_GROUPS)) {
    const result = load(conf({}, `group = ${group}\nid = x\n`));
    t.deepEqual(errors(result).map((issue) => [issue.line, issue.group, issue.message]), [[21, group, `the relay does not do ${what}: remove this group`]], group);
  }
});

test('an id that names no link is a warning; an account may use an id only the routing lists name', (t) => {
  const text = conf({ smsc: ['allowed-smsc-id = a;bulk;b'], 'sendsms-user': ['default-smsc = bulk'] }, 'group = sendsms-user\nusername = v\npassword = w\nforced-smsc = A2\n');
  const result = load(text);
  t.deepEqual(warnings(result).map((issue) => [issue.key, issue.line, issue.message]), [
    ['allowed-smsc-id', lineOf(text, 'allowed-smsc-id = a;bulk;b'), 'allowed-smsc-id names "b", which is no link\'s smsc-id (did you mean "a"?): Kannel allows this, but it is almost always a typo'],
    ['forced-smsc', lineOf(text, 'forced-smsc = A2'), 'forced-smsc names "A2", which is no link\'s smsc-id (did you mean "a"?): Kannel allows this, but it is almost always a typo'],
  ]);
});

test('forced-smsc makes default-smsc pointless: Kannel drops it, and so does the relay, with a warning when they differ', (t) => {
  const result = load(conf({ 'sendsms-user': ['forced-smsc = a', 'default-smsc = b'] }));
  t.like(result.settings?.users[0], { forcedSmsc: 'a', defaultSmsc: undefined });
  t.deepEqual(about(result, 'default-smsc').map((issue) => issue.message), ['default-smsc has no effect next to forced-smsc (Kannel ignores it too)']);
});

test('denied-smsc-id next to allowed-smsc-id is dropped, as Kannel does, with a warning', (t) => {
  const result = load(conf({ smsc: ['allowed-smsc-id = a', 'denied-smsc-id = a'] }));
  t.like(result.settings?.links[0], { allowedSmscIds: ['a'], deniedSmscIds: undefined });
  t.regex(about(result, 'denied-smsc-id')[0]?.message ?? '', /no effect next to allowed-smsc-id/);
});

test('a TON without its NPI has no effect, as in Kannel, with a warning', (t) => {
  const result = load(conf({ smsc: ['source-addr-ton = 1', 'dest-addr-npi = 1'] }));
  t.like(result.settings?.links[0], { sourceAddrTon: undefined, destAddrNpi: undefined });
  t.deepEqual(warnings(result).map((issue) => issue.message), [
    'source-addr-ton has no effect without source-addr-npi: Kannel uses the two only together',
    'dest-addr-npi has no effect without dest-addr-ton: Kannel uses the two only together',
  ]);
});

test('without smsc-id, port and system-type a link is named and bound as Kannel would, with warnings', (t) => {
  const result = load(conf().replace('smsc-id = a\n', '').replace('port = 2775\n', '').replace('system-type = ""\n', ''));
  t.like(result.settings?.links[0], { name: 'SMPP:127.0.0.1:2775/0:u:', smscId: 'SMPP:127.0.0.1:2775/0:u:', port: 2775, systemType: '' });
  t.deepEqual(warnings(result).map((issue) => issue.key), ['port', 'system-type', 'smsc-id']);
});

test('the obsolete system-id stands in for smsc-username, as in Kannel', (t) => {
  const result = load(conf().replace('smsc-username = u', 'system-id = legacy'));
  t.is(result.settings?.links[0]?.systemId, 'legacy');
  t.deepEqual(warnings(result).map((issue) => issue.message), ['system-id is obsolete in Kannel (used as smsc-username, as Kannel does): write smsc-username']);
});

test('instances repeats a link under numbered names; instances = 0 makes none', (t) => {
  t.deepEqual(load(conf({ smsc: ['instances = 3'] })).settings?.links.map((link) => link.name), ['a', 'a#2', 'a#3']);
  const none = load(conf({ smsc: ['instances = 0'] }));
  t.deepEqual(none.issues.map((issue) => issue.message), ['instances = 0: this group makes no link, as in Kannel', 'the relay needs at least one "group = smsc" with "smsc = smpp"']);
});

test('an explicit smsc-admin-id keeps its name; a repeated one is numbered with a warning', (t) => {
  const link = (lines: string) => `group = smsc\n${BASE.smsc?.join('\n')}\n${lines}\n\n`;
  const result = load(conf({}, link('smsc-admin-id = a#2') + link('smsc-admin-id = x') + link('smsc-admin-id = X')));
  t.deepEqual(result.settings?.links.map((link) => link.name), ['a', 'a#2', 'x', 'X#2']);
  t.deepEqual(warnings(result).map((issue) => [issue.key, issue.message]), [
    ['smsc-admin-id', `smsc-admin-id X is already the link at ${MAIN}:31 (Kannel allows this, but does not recommend it): this link is called X#2`],
  ]);
});

test('a missing admin-password is a warning: Kannel refuses it, the relay leaves the status endpoint open', (t) => {
  const result = load(conf().replace('admin-password = bar\n', ''));
  t.truthy(result.settings);
  t.regex(about(result, 'admin-password')[0]?.message ?? '', /Kannel refuses to start without it/);
});

test('store-file stands for store-location and wins over it, as in Kannel', (t) => {
  const result = load(conf({ core: ['store-location = /b', 'store-file = /a'] }));
  t.is(result.settings?.core.storeLocation, '/a');
  t.regex(about(result, 'store-file')[0]?.message ?? '', /deprecated in Kannel/);
});

test('readSettings takes groups from any parser; issues about the whole config name the file', (t) => {
  t.deepEqual(readSettings([], 'empty.conf').issues.map((issue) => `${issue.file}:${issue.line}`), ['empty.conf:0', 'empty.conf:0', 'empty.conf:0', 'empty.conf:0']);
});

test('an unreadable kannel.conf is one error naming it', (t) => {
  t.deepEqual(loadKannelConf('/nonexistent/kannel.conf').issues.map(formatIssue), [
    '/nonexistent/kannel.conf: error: cannot read /nonexistent/kannel.conf: ENOENT: no such file or directory, open \'/nonexistent/kannel.conf\'',
  ]);
});

test('on disk, an included directory brings in each of its files', async (t) => {
  const dir = await makeTempDir(t);
  await mkdir(join(dir, 'users.d'));
  await writeFile(join(dir, 'users.d', '1-app.conf'), 'group = sendsms-user\nusername = app\npassword = a\n');
  await writeFile(join(dir, 'users.d', '2-ops.conf'), 'group = sendsms-user\nusername = ops\npassword = o\n');
  await writeFile(join(dir, 'kannel.conf'), conf().replace(/group = sendsms-user\n.*\n.*\n/, 'include = "users.d"\n'));
  const result = loadKannelConf(join(dir, 'kannel.conf'));
  t.deepEqual(result.settings?.users.map((user) => [user.username, user.origin.file]), [
    ['app', join(dir, 'users.d', '1-app.conf')], ['ops', join(dir, 'users.d', '2-ops.conf')],
  ]);
});

test('formatIssue gives file:line, severity, group and message', (t) => {
  t.is(formatIssue({ file: 'k.conf', line: 3, group: 'smsc', key: 'x', severity: 'error', message: 'm' }), 'k.conf:3: error: group smsc: m');
  t.is(formatIssue({ file: 'k.conf', line: 0, group: '', severity: 'warning', message: 'm' }), 'k.conf: warning: m');
});
