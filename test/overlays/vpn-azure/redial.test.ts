/**
 * The redial script, run for real by sh with a stand-in swanctl on PATH that prints a recorded
 * `swanctl --list-sas` and logs every `--initiate` it is asked for.
 */
import test from 'ava';
import { execa } from 'execa';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderVpnAzure } from '../../../overlays/vpn-azure/render.js';
import { REDIAL_SCRIPT, REDIAL_SERVICE, REDIAL_TIMER } from '../../../overlays/vpn-azure/redial.js';
import { connection, parse, pskFiles, router } from './fixtures.js';

/** swanctl --list-sas as 6.0 prints it: the IKE SA's line at the start, its children indented. */
const ESTABLISHED = `azure-hq-1: #3, ESTABLISHED, IKEv2, 1a2b3c4d5e6f7081_i* 0f1e2d3c4b5a6978_r
  local  '192.0.2.2' @ 192.0.2.2[500]
  remote '192.0.2.10' @ 192.0.2.10[500]
  AES_GCM_16-256/PRF_HMAC_SHA2_384/ECP_384
  established 12s ago, rekeying in 25000s
  azure-hq-1: #4, reqid 1, INSTALLED, TUNNEL, ESP:AES_GCM_16-256
`;
const CONNECTING = 'azure-hq-2: #5, CONNECTING, IKEv2, 2a2b3c4d5e6f7081_i* 0000000000000000_r\n  local  \'%any\' @ 192.0.2.2[500]\n';

function scriptFor(value: Record<string, unknown>): string {
  const config = parse(value);
  const rendered = renderVpnAzure(config, pskFiles(config), router);
  const script = rendered.files.find((file) => file.path === REDIAL_SCRIPT);
  if (!script?.content) throw new Error('no redial script');
  return script.content;
}

/** Runs the script with swanctl answering `listSas` (exit `listExit`); returns the initiates asked for. */
async function run(script: string, options: { listSas: string; listExit?: number }): Promise<{ exitCode: number; initiated: string[]; stdout: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'redial-'));
  try {
    await writeFile(join(dir, 'sas.txt'), options.listSas);
    await writeFile(join(dir, 'swanctl'), `#!/bin/sh
case "$1" in
  --list-sas) cat "${dir}/sas.txt"; exit ${options.listExit ?? 0} ;;
  --initiate) echo "$*" >> "${dir}/initiated" ;;
esac
`);
    await chmod(join(dir, 'swanctl'), 0o755);
    await writeFile(join(dir, 'redial'), script);
    const result = await execa('sh', [join(dir, 'redial')], { env: { PATH: `${dir}:/usr/bin:/bin` }, reject: false });
    const initiated = (await readFile(join(dir, 'initiated'), 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');
    return { exitCode: result.exitCode ?? -1, initiated, stdout: String(result.stdout) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const twoGateways = { connections: [connection({ gateways: ['203.0.113.10', '203.0.113.11'] })] };

test('a connection charon has no IKE SA for is initiated again; one that is up or still trying is left alone', async (t) => {
  const result = await run(scriptFor(twoGateways), { listSas: ESTABLISHED });
  t.is(result.exitCode, 0);
  t.deepEqual(result.initiated, ['--initiate --ike azure-hq-2 --child azure-hq-2 --timeout 1']);
  t.regex(result.stdout, /azure-hq-2 has no IKE SA/);
  t.deepEqual((await run(scriptFor(twoGateways), { listSas: ESTABLISHED + CONNECTING })).initiated, []);
});

test('a route-based child named as its IKE connection does not count as the IKE SA', async (t) => {
  // the child's line alone (indented), as when the listing is cut: not the IKE SA's line
  const result = await run(scriptFor(twoGateways), { listSas: '  azure-hq-1: #4, reqid 1, INSTALLED, TUNNEL, ESP:AES_GCM_16-256\n' });
  t.deepEqual(result.initiated, ['--initiate --ike azure-hq-1 --child azure-hq-1 --timeout 1', '--initiate --ike azure-hq-2 --child azure-hq-2 --timeout 1']);
});

test('policy-based: every child of a connection without its IKE SA is initiated', async (t) => {
  const script = scriptFor({ mode: 'policy-based', connections: [connection({ localSubnets: ['192.168.1.0/24'], remoteSubnets: ['10.20.0.0/16', '10.21.0.0/16'] })] });
  t.deepEqual((await run(script, { listSas: '' })).initiated, ['--initiate --ike azure-hq-1 --child azure-hq-1-1 --timeout 1', '--initiate --ike azure-hq-1 --child azure-hq-1-2 --timeout 1']);
});

test('with charon not answering it does nothing and succeeds (charon\'s own unit restarts it)', async (t) => {
  const result = await run(scriptFor(twoGateways), { listSas: '', listExit: 1 });
  t.is(result.exitCode, 0);
  t.deepEqual(result.initiated, []);
});

test('the timer is enabled in the image and the script is checked there', (t) => {
  const config = parse(twoGateways);
  const rendered = renderVpnAzure(config, pskFiles(config), router);
  t.true(rendered.units.includes(REDIAL_TIMER));
  const service = rendered.files.find((file) => file.path === `/etc/systemd/system/${REDIAL_SERVICE}`)?.content ?? '';
  t.regex(service, /^SyslogLevel=notice\nLogLevelMax=notice$/m, 'a run that finds nothing to do leaves nothing in the journal');
  t.true(rendered.checks.some((check) => check.argv.join(' ') === `sh -n ${REDIAL_SCRIPT}`));
});
