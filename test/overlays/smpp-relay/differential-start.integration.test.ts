/**
 * Differential: a start that cannot finish. With its sendsms port taken, Kannel's smsbox
 * panics and exits; the relay must exit too, and not run on with its links bound and no HTTP
 * side (which systemd would take for a running service and never restart).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { differentialTest } from './helpers/differential.js';
import { sleep } from './helpers/gateway.js';
import { testConf } from './helpers/kannel-conf-text.js';
import { BEARERBOX, prepareKannelConf, SMSBOX, startTool, stopTool, waitForListening, type Tool } from './helpers/kannel.js';
import { startSimulator } from './helpers/smsc-simulator.js';

const RELAY_MAIN = fileURLToPath(new URL('../../../overlays/smpp-relay/app/main.js', import.meta.url));

/** The exit code once the tool has exited, or 'running' after `timeoutMs`. */
async function exitOf(tool: Tool, timeoutMs = 10_000): Promise<number | 'running'> {
  for (const deadline = Date.now() + timeoutMs; !tool.exited() && Date.now() < deadline;) await sleep(50);
  return tool.exited() ? (await tool.child).exitCode ?? -1 : 'running';
}

differentialTest('a sendsms port already taken: Kannel\'s smsbox and the relay both exit with 1 at once, the relay leaving no link bound', async (t) => {
  const smsc = await startSimulator({ accounts: [{ systemId: 'upstream', password: 'upstream' }] });
  const conf = await testConf({ smsc: [{ 'smsc-id': 'upstream', port: smsc.port, 'smsc-username': 'upstream', 'smsc-password': 'upstream' }], users: [{ username: 'app', password: 'secret' }] });
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(conf.ports.sendsms, '127.0.0.1', resolve));
  const dir = await mkdtemp(join(tmpdir(), 'mcdebian-start-'));
  const tools: Tool[] = [];
  try {
    const { text } = prepareKannelConf(conf.text, dir);
    await writeFile(join(dir, 'kannel.conf'), text);
    tools.push(startTool([BEARERBOX, '-v', '2', join(dir, 'kannel.conf')]));
    await waitForListening(tools[0]!, conf.ports.smsbox, 'bearerbox (smsbox-port)');
    const smsbox = startTool([SMSBOX, '-v', '2', join(dir, 'kannel.conf')]);
    tools.push(smsbox);
    t.is(await exitOf(smsbox), 1, smsbox.output().slice(-2000));
    await stopTool(tools.shift());

    await writeFile(join(dir, 'relay.conf'), conf.text);
    const relay = startTool(['node', RELAY_MAIN, 'serve', '--config', join(dir, 'relay.conf'), '--store', join(dir, 'store.journal')]);
    tools.push(relay);
    t.is(await exitOf(relay), 1, relay.output().slice(-2000));
    t.regex(relay.output(), /EADDRINUSE/);
    t.deepEqual(smsc.sessions.filter((session) => session.open && session.account !== undefined).map((session) => session.account), []);
  } finally {
    for (const tool of tools) await stopTool(tool);
    taken.close();
    await smsc.close();
    await rm(dir, { recursive: true, force: true });
  }
});
