/**
 * The harnesses the relay's differential tests stand on: real Kannel binds to an SMSC, reports
 * its link, passes a sendsms on as submit_sm and queues while the SMSC is away; Kannel's
 * drive_smpp takes submits from an ESME and counts them. The SMSC here is the least that
 * Kannel binds to (the fuller simulator lives in helpers/smsc-simulator.ts).
 */
import test, { type ExecutionContext } from 'ava';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { DRIVE_SMPP, startDriveSmpp } from './helpers/drive-smpp.js';
import { sleep } from './helpers/gateway.js';
import { freePort } from '../../helpers/guest.js';
import { BEARERBOX, parseLinkStates, prepareKannelConf, SMSBOX, startKannel } from './helpers/kannel.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';

/** The part of the untyped npm `smpp` 0.5.1 (lib/smpp.js) these tests use. */
interface Pdu {
  command: string;
  command_status: number;
  destination_addr?: string;
  short_message?: { message?: string };
  message_id?: string;
  response(fields?: Record<string, unknown>): Pdu;
}
type Callback = (pdu: Pdu) => void;
interface Session {
  on(event: 'pdu', listener: Callback): void;
  on(event: 'error' | 'close', listener: () => void): void;
  send(pdu: Pdu): boolean;
  destroy(): void;
  close(callback?: () => void): void;
  bind_transmitter(fields: Record<string, unknown>, callback: Callback): void;
  submit_sm(fields: Record<string, unknown>, callback: Callback): void;
  unbind(fields: Record<string, unknown>, callback: Callback): void;
}
interface SmppServer { listen(port: number, host: string, callback: () => void): void; close(): void }
const smpp = createRequire(import.meta.url)('smpp') as {
  createServer(listener: (session: Session) => void): SmppServer;
  connect(options: { host: string; port: number }): Session;
};

/** A test that needs these programs, named by path: a user's PATH often lacks /usr/sbin, and drive_smpp lives outside PATH altogether. */
function testNeedingFiles(files: Record<string, string>, title: string, run: (t: ExecutionContext) => Promise<void>): void {
  testNeeding({ tools: files })(title, run);
}

const KANNEL = { [BEARERBOX]: 'kannel', [SMSBOX]: 'kannel' };

/** An SMSC that binds anyone, acks every submit_sm with message_id "m<n>", and answers what Kannel sends besides. */
async function startSmsc(port: number): Promise<{ submits: Pdu[]; stop(): void }> {
  const submits: Pdu[] = [];
  const sessions = new Set<Session>();
  const server = smpp.createServer((session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
    session.on('error', () => { /* Kannel hung up */ });
    session.on('pdu', (pdu) => {
      if (pdu.command === 'submit_sm') submits.push(pdu);
      // the library answers nothing itself; enquire_link and unbind unanswered would stall Kannel
      if (/^(bind_\w+|enquire_link|unbind)$/.test(pdu.command)) session.send(pdu.response());
      if (pdu.command === 'submit_sm') session.send(pdu.response({ message_id: `m${submits.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { submits, stop: () => { server.close(); sessions.forEach((session) => session.destroy()); } };
}

/** A one-link kannel.conf; reconnect-delay 1 so the tests see the link come and go within seconds. */
async function oneLinkConf(smscPort: number): Promise<string> {
  const [admin, box, sendsms] = [await freePort(), await freePort(), await freePort()];
  return `group = core
admin-port = ${admin}
admin-password = secret
smsbox-port = ${box}

group = smsc
smsc = smpp
smsc-id = upstream
smsc-admin-id = upstream-1
host = 127.0.0.1
port = ${smscPort}
system-type = ""
smsc-username = relay
smsc-password = relay
reconnect-delay = 1

group = smsbox
bearerbox-host = 127.0.0.1
sendsms-port = ${sendsms}
global-sender = 1000

group = sendsms-user
username = tester
password = tester-password
`;
}

async function kannelWithSmsc(t: ExecutionContext) {
  const smscPort = await freePort();
  const smsc = await startSmsc(smscPort);
  t.teardown(() => smsc.stop());
  const kannel = await startKannel({ conf: await oneLinkConf(smscPort) });
  t.teardown(() => kannel.stop());
  await kannel.waitForLinks({ 'upstream-1': 'online' }, 20_000);
  return { smsc, kannel, smscPort };
}

test('link states come from each smsc block of bearerbox 1.4.5 status.xml, by admin-id', (t) => {
  // recorded, counters cut: two links sharing smsc-id pool, one bound, one whose SMSC is down
  const xml = `<smscs><count>2</count>
\t<smsc>\n\t\t<name>SMPP:127.0.0.1:34663/0:s:</name>\n\t\t<admin-id>up</admin-id>\n\t\t<id>pool</id>\n\t\t<status>online 2s</status>\n\t</smsc>
<smsc>\n\t\t<name>SMPP:127.0.0.1:39895/0:s:</name>\n\t\t<admin-id>down</admin-id>\n\t\t<id>pool</id>\n\t\t<status>re-connecting</status>\n\t</smsc>
</smscs>`;
  t.deepEqual(parseLinkStates(xml), { up: 'online', down: 'offline' });
});

test('the conf keeps its own settings, with logs and store moved into the directory', (t) => {
  const conf = 'group = core\nadmin-port = 1\nadmin-password = "pw"\nsmsbox-port = 2\nstore-location = /var/spool/kannel\n\ngroup = smsbox\nsendsms-port = 3\nlog-file = /var/log/kannel/smsbox.log\n';
  const { text, ports } = prepareKannelConf(conf, '/tmp/k');
  t.deepEqual(ports, { admin: 1, smsbox: 2, sendsms: 3, password: 'pw' });
  t.notRegex(text, /\/var\//);
  t.regex(text, /group = core\nlog-file = "\/tmp\/k\/bearerbox.log"[\s\S]*store-location = "\/tmp\/k\/store"[\s\S]*admin-port = 1\n/);
});

const SEND = { username: 'tester', password: 'tester-password', to: '4915112345678', text: 'hello relay' };

testNeedingFiles(KANNEL, 'Kannel binds, reports its link online and passes a sendsms on as submit_sm', async (t) => {
  const { smsc, kannel } = await kannelWithSmsc(t);
  t.deepEqual(await kannel.sendsms(SEND), { status: 202, body: '0: Accepted for delivery' });
  for (let i = 0; i < 100 && smsc.submits.length === 0; i++) await sleep(50);
  t.is(smsc.submits.length, 1, await kannel.logs());
  t.is(smsc.submits[0]?.destination_addr, SEND.to);
  t.is(smsc.submits[0]?.short_message?.message, SEND.text);
});

testNeedingFiles(KANNEL, 'Kannel reports the link offline while its SMSC is gone, queues a sendsms and delivers it on rebind', async (t) => {
  const { smsc, kannel, smscPort } = await kannelWithSmsc(t);
  smsc.stop();
  await kannel.waitForLinks({ 'upstream-1': 'offline' }, 10_000);
  t.deepEqual(await kannel.sendsms(SEND), { status: 202, body: '3: Queued for later delivery' });
  const back = await startSmsc(smscPort);
  t.teardown(() => back.stop());
  await kannel.waitForLinks({ 'upstream-1': 'online' }, 10_000);
  for (let i = 0; i < 100 && back.submits.length === 0; i++) await sleep(50);
  t.deepEqual(back.submits.map((pdu) => pdu.short_message?.message), [SEND.text], await kannel.logs());
  t.is(smsc.submits.length, 0);
});

testNeedingFiles(KANNEL, 'a failed Kannel start names the reason and leaves nothing running', async (t) => {
  // bearerbox panics without system-type in an smpp group (seen with 1.4.5)
  const conf = (await oneLinkConf(await freePort())).replace('system-type = ""\n', '');
  const dir = await makeTempDir(t, 'mcdebian-kannel-');
  const error = await t.throwsAsync(startKannel({ conf, dir }));
  t.regex(error?.message ?? '', /system-type/);
  t.deepEqual(await commandLinesMentioning(dir), []);
});

/** Command lines of running processes that contain `text`. */
async function commandLinesMentioning(text: string): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry));
  const lines = await Promise.all(pids.map((pid) => readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')));
  return lines.map((line) => line.replaceAll('\0', ' ')).filter((line) => line.includes(text));
}

/** Binds to drive_smpp as a transmitter and submits `count` messages; returns each submit_sm_resp. */
async function submitTo(port: number, count: number): Promise<{ session: Session; responses: Pdu[] }> {
  const session = smpp.connect({ host: '127.0.0.1', port });
  session.on('error', () => { /* drive_smpp quits when we close */ });
  const call = (command: 'bind_transmitter' | 'submit_sm', fields: Record<string, unknown>) =>
    new Promise<Pdu>((resolve) => session[command](fields, resolve));
  const bound = await call('bind_transmitter', { system_id: 'relay', password: 'relay', interface_version: 0x34 });
  if (bound.command_status !== 0) throw new Error(`bind_transmitter answered status ${bound.command_status}`);
  const responses = await Promise.all(Array.from({ length: count }, (_, i) =>
    call('submit_sm', { source_addr: '1000', destination_addr: '4915112345678', short_message: `message ${i}` })));
  return { session, responses };
}

testNeedingFiles({ [DRIVE_SMPP]: 'kannel-extras' }, 'drive_smpp acks submits from a transmitter with an empty message_id, counts them, and quits when the ESME leaves', async (t) => {
  const port = await freePort();
  const drive = await startDriveSmpp({ port, messages: 3 });
  t.teardown(() => drive.stop());
  const { session, responses } = await submitTo(port, 3);
  t.deepEqual(responses.map((pdu) => [pdu.command_status, pdu.message_id]), [[0, ''], [0, ''], [0, '']]);
  // its log line and its answer race through different pipes
  for (let i = 0; i < 40 && drive.submitted() < 3; i++) await sleep(50);
  t.is(drive.submitted(), 3);
  await new Promise<void>((resolve) => session.unbind({}, () => session.close(resolve)));
  t.true(await drive.waitForExit(5000), 'drive_smpp still running after the ESME left');
  t.is(drive.submitted(), 3, await drive.log());
  t.regex(await drive.log(), /ESME has submitted all messages to SMSC/);
});
