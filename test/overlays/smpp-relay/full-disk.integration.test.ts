/**
 * Issue 13, item 1, for real: the relay's store on a small tmpfs that fills up while the SMSC
 * still has submits to acknowledge. The relay must stay up, refuse new messages with 503, send
 * nothing twice, write what it held in memory once space returns, and after a kill -9 send
 * nothing again that the SMSC had acknowledged. (Before: ENOSPC thrown from the settle
 * callback ended the process, and every restart re-sent the unacknowledged window.)
 */
import { execa } from 'execa';
import { appendFile, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './helpers/gateway.js';
import { testConf } from './helpers/kannel-conf-text.js';
import { startRelay, type RunningRelay } from './helpers/relay.js';
import { startSimulator, type SmscSimulator } from './helpers/smsc-simulator.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testAsRootWithTools } from '../../helpers/tools.js';

/** More acknowledgements than the journal's last page can hold: at least one must meet ENOSPC. */
const MESSAGES = 60;

/** Fills the file system under dir until it says ENOSPC; returns the filler's path. */
async function fill(dir: string): Promise<string> {
  const filler = join(dir, 'filler');
  const chunk = Buffer.alloc(4096, 0x2e);
  for (;;) {
    try {
      await appendFile(filler, chunk);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return filler;
      throw error;
    }
  }
}

/** Polls the relay's status until `done` holds, or fails with the last status after a generous deadline. */
async function waitForStatus(relay: RunningRelay, what: string, done: (status: Awaited<ReturnType<RunningRelay['status']>>) => boolean): Promise<void> {
  let last: unknown;
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(100)) {
    const status = await relay.status();
    if (done(status)) return;
    last = { messages: status.messages, store: status.store };
  }
  throw new Error(`${what}: not within 60 s; last status ${JSON.stringify(last)}\n${relay.logs().slice(-3000)}`);
}

const texts = (smsc: SmscSimulator) => smsc.submits.map((submit) => submit.shortMessage.toString('latin1'));

testAsRootWithTools({ tools: { mount: 'mount', umount: 'mount' }, why: 'it mounts a small tmpfs to fill' }, 'on a full disk the relay stays up, refuses new messages with 503, sends nothing twice, and catches up once space returns', async (t) => {
  const mountPoint = join(await makeTempDir(t, 'mcdebian-full-disk-'), 'store');
  await mkdir(mountPoint);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', mountPoint]);
  const smsc = await startSimulator({ accounts: [{ systemId: 'one', password: 'pw1' }] });
  let relay: RunningRelay | undefined;
  try {
    const conf = await testConf({ smsc: [{ 'smsc-id': 'a', port: smsc.port, 'smsc-username': 'one', 'smsc-password': 'pw1' }], users: [{ username: 'app', password: 'secret' }] });
    relay = await startRelay({ conf: conf.text, dir: mountPoint });
    await relay.waitForLinks({ a: 'online' });
    const send = (text: string) => relay!.sendsms({ username: 'app', password: 'secret', to: '4917', text });

    smsc.behave({ hold: true });
    for (let i = 0; i < MESSAGES; i++) t.is((await send(`m${i}`)).status, 202);
    await smsc.waitFor(() => smsc.submits.length > 0, 20_000);
    const filler = await fill(mountPoint);
    smsc.behave({ hold: false });
    smsc.releaseHeld();
    await waitForStatus(relay, 'every message acknowledged, the store degraded', (status) => status.messages.sent === MESSAGES && status.store.state === 'degraded');

    const degraded = (await relay.status()).store;
    t.true(degraded.backlog > 0, 'acknowledgements are held in memory');
    t.regex(degraded.lastError ?? '', /ENOSPC/);
    t.deepEqual(await send('refused'), { status: 503, body: 'Temporal failure, try again later.' });
    t.is(relay.logs().match(/the message store cannot write/g)?.length, 1, 'logged once, not per record');

    await rm(filler);
    await waitForStatus(relay, 'the store writable again', (status) => status.store.state === 'writable' && status.store.backlog === 0);
    t.is(relay.logs().match(/the message store is writable again/g)?.length, 1);
    t.is((await send('after')).status, 202);
    await smsc.waitFor(() => texts(smsc).includes('after'), 20_000);
    // the SMSC having the submit is not the relay having its acknowledgement: a kill before that
    // rightly sends it again, so wait until the relay has written it
    await waitForStatus(relay, 'the acknowledgement of "after" written', (status) => status.messages.sent === MESSAGES + 1 && status.store.backlog === 0);

    await relay.kill();
    await relay.restart();
    t.is((await relay.status()).messages.open, 0, 'the journal holds every acknowledgement: nothing to send again');
    await relay.waitForLinks({ a: 'online' });
    t.is((await send('restarted')).status, 202);
    await smsc.waitFor(() => texts(smsc).includes('restarted'), 20_000);

    const counts = new Map<string, number>();
    for (const text of texts(smsc)) counts.set(text, (counts.get(text) ?? 0) + 1);
    t.deepEqual([...counts].filter(([, count]) => count > 1), [], 'no submit_sm sent twice');
    t.is(counts.size, MESSAGES + 2);
    t.false(counts.has('refused'));
  } finally {
    await relay?.stop();
    await smsc.close();
    await execa('umount', [mountPoint]);
  }
});
