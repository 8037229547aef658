/**
 * Issue 13, item 5, through the relay's command line: a message store with a damaged line in the
 * middle, a flipped byte in its last complete line, a record of the wrong shape, a torn tail, or
 * that cannot be read at all. What can be read is kept and sent; what cannot is quarantined,
 * logged in one line and counted in /status; the relay exits (74, which stops systemd's
 * restarts) only when nothing can be recovered. (Before: exit 1 on a bad line in the middle, a
 * TypeError on a wrong shape, both restarted every 2 s for ever; a flipped last line dropped an
 * accepted message as if it were torn.)
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeLine } from '../../../overlays/runtime/journal-format.js';
import type { QuarantineEntry } from '../../../overlays/runtime/journal-quarantine.js';
import type { StoreRecord } from '../../../overlays/smpp-relay/app/store.js';
import { testConf } from './helpers/kannel-conf-text.js';
import { runRelayToExit, startRelay } from './helpers/relay.js';
import { startSimulator } from './helpers/smsc-simulator.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { storedMessage } from './app/message-fixtures.js';

const TEXTS = ['first', 'second', 'third'];

/** The journal lines of three accepted messages, one part each, whose part is its text (a character a byte). */
const acceptLines = (): string[] => TEXTS.map((text) => encodeLine({ t: 'accept', m: storedMessage(text, 1, { parts: [Buffer.from(text).toString('base64')] }) } satisfies StoreRecord).toString('latin1'));

const flip = (line: string, at: number) => line.slice(0, at) + String.fromCharCode(line.charCodeAt(at) ^ 0x01) + line.slice(at + 1);

async function conf(port: number) {
  return (await testConf({ smsc: [{ 'smsc-id': 'a', port, 'smsc-username': 'one', 'smsc-password': 'pw1' }], users: [{ username: 'app', password: 'secret' }] })).text;
}

/**
 * Starts the relay on a journal made of these lines and checks which messages reach the SMSC,
 * what the quarantine file holds, the store's status and the one log line.
 */
const startsWith = test.macro(async (t: ExecutionContext, lines: string[], expected: { sent: string[]; quarantined: { line: number; reason: string }[]; log: RegExp }) => {
  const dir = await makeTempDir(t, 'mcdebian-corruption-');
  const storePath = join(dir, 'store.journal');
  await writeFile(storePath, lines.join(''), 'latin1');
  const smsc = await startSimulator({ accounts: [{ systemId: 'one', password: 'pw1' }] });
  const relay = await startRelay({ conf: await conf(smsc.port), dir });
  try {
    const sent = () => new Set(smsc.submits.map((submit) => submit.shortMessage.toString('latin1')));
    await smsc.waitFor(() => expected.sent.every((text) => sent().has(text)), 20_000);
    const status = await relay.status();
    t.like(status.store, { state: 'writable', quarantined: expected.quarantined.length });
    t.regex(relay.logs(), expected.log);
    if (expected.quarantined.length === 0) {
      t.false(existsSync(`${storePath}.quarantine`));
    } else {
      const entries = (await readFile(`${storePath}.quarantine`, 'utf8')).split('\n').filter(Boolean).map((line) => JSON.parse(line) as QuarantineEntry);
      t.deepEqual(entries.map(({ line, reason }) => ({ line, reason })), expected.quarantined);
      t.deepEqual(entries.map((entry) => entry.text), expected.quarantined.map(({ line }) => lines[line - 1]!.slice(0, -1)));
      t.is(relay.logs().match(/lines quarantined to/g)?.length, 1, 'one log line');
    }
    await relay.waitForLinks({ a: 'online' });
    t.deepEqual([...sent()].sort(), [...expected.sent].sort(), 'every readable message is sent, and nothing else');
    await relay.restart();
    t.like((await relay.status()).store, { quarantined: 0 }, 'a restart finds nothing more to quarantine');
  } finally {
    await relay.stop();
    await smsc.close();
  }
});

const quarantinedTo = (count: number) => new RegExp(`${count} lines quarantined to \\S+store\\.journal\\.quarantine: `);

test('a damaged line in the middle is quarantined, the messages around it are sent', startsWith,
  ((lines) => [lines[0]!, flip(lines[1]!, 30), lines[2]!])(acceptLines()),
  { sent: ['first', 'third'], quarantined: [{ line: 2, reason: 'checksum mismatch' }], log: quarantinedTo(1) });

test('a flipped byte in the last complete line is quarantined, not dropped as a torn write', startsWith,
  ((lines) => [lines[0]!, lines[1]!, flip(lines[2]!, 30)])(acceptLines()),
  { sent: ['first', 'second'], quarantined: [{ line: 3, reason: 'checksum mismatch' }], log: quarantinedTo(1) });

test('a record with a good checksum and the wrong shape is quarantined instead of crashing the start', startsWith,
  [...acceptLines().slice(0, 2), encodeLine({ t: 'accept', m: { id: 'x', parts: 'AAAA' } }).toString('latin1'), acceptLines()[2]!],
  { sent: TEXTS, quarantined: [{ line: 3, reason: 'wrong shape: accept.m.user is not a string' }], log: quarantinedTo(1) });

test('a torn tail is cut off with a warning, and nothing is quarantined', startsWith,
  [...acceptLines(), acceptLines()[0]!.slice(0, 25)],
  { sent: TEXTS, quarantined: [], log: /cut off a torn tail of 25 bytes at line 4, a write that a crash interrupted/ });

test('a store that cannot be read ends the relay with 74, saying what to do', async (t) => {
  const dir = await makeTempDir(t, 'mcdebian-corruption-');
  await mkdir(join(dir, 'store.journal')); // EISDIR: read(2) fails as it would with EIO or EACCES
  const result = await runRelayToExit({ conf: await conf(9), dir });
  t.is(result.exitCode, 74);
  t.regex(result.stderr, /store\.journal: the journal cannot be read \(EISDIR: .*\), and starting again will not change that; check the disk \(dmesg\)/);
});

test('damaged lines that cannot be set aside end the relay with 74, and the journal is left as it was', async (t) => {
  const dir = await makeTempDir(t, 'mcdebian-corruption-');
  const damaged = [acceptLines()[0]!, flip(acceptLines()[1]!, 30)].join('');
  await writeFile(join(dir, 'store.journal'), damaged, 'latin1');
  await mkdir(join(dir, 'store.journal.quarantine'));
  const result = await runRelayToExit({ conf: await conf(9), dir });
  t.is(result.exitCode, 74);
  t.regex(result.stderr, /store\.journal\.quarantine: cannot write the quarantine file \(EISDIR.*1 damaged lines of .*cannot be set aside; make .* writable/);
  t.is(await readFile(join(dir, 'store.journal'), 'latin1'), damaged);
});
