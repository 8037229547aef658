/**
 * The build's check of the swanctl configuration: the rendered files loaded into a throwaway
 * charon on this host, in a network namespace of its own. It must pass what render writes and
 * fail, naming the cause, on what swanctl would quietly drop on a device.
 */
import { execa } from 'execa';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { renderVpnAzure } from '../../../overlays/vpn-azure/render.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { connection, parse, pskFiles, router } from './fixtures.js';

const test = testNeeding({ tools: { 'charon-systemd': 'charon-systemd', swanctl: 'strongswan-swanctl', unshare: 'util-linux' }, root: 'charon needs a network namespace of its own' });

const CHECK = new URL('../../../../overlays/vpn-azure/host/check-swanctl', import.meta.url).pathname;

/** An image root with the rendered swanctl files and the package's swanctl.conf (which includes conf.d/*.conf). */
async function imageRoot(t: Parameters<typeof makeTempDir>[0], value: Record<string, unknown>) {
  const root = await makeTempDir(t);
  const config = parse(value);
  const rendered = renderVpnAzure(config, pskFiles(config), router);
  for (const file of rendered.files.filter((entry) => entry.path.startsWith('/etc/swanctl/'))) {
    await mkdir(join(root, dirname(file.path)), { recursive: true });
    await writeFile(join(root, file.path), file.content ?? '', { mode: file.mode });
  }
  await writeFile(join(root, 'etc/swanctl/swanctl.conf'), 'include conf.d/*.conf\n');
  const argv = rendered.checks.find((check) => check.argv[0] === CHECK)!.argv.map((arg) => arg.replace('{rootfs}', root));
  return { root, argv };
}

test('what render writes loads: every connection and shared key', async (t) => {
  const { argv } = await imageRoot(t, { connections: [connection({ gateways: ['203.0.113.10', '203.0.113.11'] })] });
  const result = await execa(argv[0]!, argv.slice(1));
  t.regex(result.stdout, /successfully loaded 2 connections, 0 unloaded/);
});

test('a syntax error, which swanctl answers with exit 0 after unloading everything, fails the check', async (t) => {
  const { root, argv } = await imageRoot(t, { connections: [connection()] });
  await appendFile(join(root, 'etc/swanctl/conf.d/mcdebian-vpn-azure.conf'), 'connections {\n  broken\n');
  const error = await t.throwsAsync(execa(argv[0]!, argv.slice(1)));
  t.regex(error.message, /connection azure-hq-1 was not loaded/);
  t.regex(error.message, /invalid config file/);
});

test('a proposal strongSwan does not know fails the check with its own words', async (t) => {
  const { root, argv } = await imageRoot(t, { connections: [connection()] });
  const path = join(root, 'etc/swanctl/conf.d/mcdebian-vpn-azure.conf');
  await writeFile(path, (await readFile(path, 'utf8')).replace('esp_proposals = aes256gcm16-ecp384', 'esp_proposals = aes256gcm16-ecp999'));
  const error = await t.throwsAsync(execa(argv[0]!, argv.slice(1)));
  t.regex(error.message, /invalid value for: esp_proposals/);
});
