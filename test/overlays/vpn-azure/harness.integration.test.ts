/**
 * The vpn-azure test harness proven with hand-written initiators: a strongSwan "device" in one
 * namespace against an "Azure" gateway in another, strongSwan for Azure's default policy (DH
 * group 2) and libreswan's pluto for a custom ECP384 policy, with the data plane in user space
 * (kernel-libipsec), since this host's kernel may have no ESP.
 */
import type { ExecutionContext } from 'ava';
import { join } from 'node:path';
import { azureOffer, type AzureOffer } from '../../../overlays/vpn-azure/presets.js';
import { makeTempDir, writeFiles } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { AZURE_PEER_CONNECTION, startAzurePeer, type Endpoint } from './helpers/azure-peer.js';
import { CHARON, readLog, restartCharon, startCharon, SWANCTL, type Charon } from './helpers/charon.js';
import { SITE_CONNECTION, writeInitiatorTree } from './helpers/initiator.js';
import { PLUTO, plutoStates, readPlutoLog, startLibreswanPeer } from './helpers/libreswan-peer.js';
import { exec, makeSites, type Sites } from './helpers/netns.js';
import { initiate, listSas, loadSwanctlTree, waitForChild } from './helpers/swanctl.js';
import { transferTcp } from './helpers/tcp-transfer.js';
import { waitFor } from './helpers/wait.js';

const test = testNeeding({
  tools: { ip: 'iproute2', [CHARON]: 'charon-systemd', [SWANCTL]: 'strongswan-swanctl', ping: 'iputils-ping', certutil: 'libnss3-tools', [PLUTO]: 'libreswan, unpacked by .ci/setup-host' },
  root: 'network namespaces, veth pairs and charon\'s TUN device',
});

const PSK = 'harness-test-shared-key-0123456789';
const endpoints = (sites: Sites) => ({
  device: { address: sites.left.outer, id: sites.left.outer } satisfies Endpoint,
  azure: { address: sites.right.outer, id: sites.right.outer } satisfies Endpoint,
});

/** The device's charon in the left namespace with its child between the two subnets (or any-to-any with an if_id), loaded. */
async function startDevice(t: ExecutionContext, options: { sites: Sites; dir: string; ike: string[]; esp: string[]; routeBased?: boolean }): Promise<Charon> {
  const { device, azure } = endpoints(options.sites);
  const selectors = options.routeBased
    ? { localTs: '0.0.0.0/0', remoteTs: '0.0.0.0/0', ifId: 1 }
    : { localTs: options.sites.left.subnet, remoteTs: options.sites.right.subnet };
  const tree = await writeInitiatorTree(options.dir, { local: device, remote: azure, psk: PSK, ike: options.ike, esp: options.esp, ...selectors });
  const charon = await startCharon(t, { ns: options.sites.left.ns, dir: join(options.dir, 'device') });
  await loadSwanctlTree(charon, { tree });
  return charon;
}

const azureDefault = (): AzureOffer => azureOffer({ preset: 'azure-default', dpdTimeoutSeconds: 45, allowDhGroup2: true })!;

test('a strongSwan device and a strongSwan Azure with azure-default\'s offers bring up a DH group 2 tunnel that carries ping and TCP between the subnets', async (t) => {
  const dir = await makeTempDir(t, 'vpn-azure-harness-');
  const sites = await makeSites(t);
  const { device, azure } = endpoints(sites);
  const peer = await startAzurePeer(t, { ns: sites.right.ns, dir: join(dir, 'azure'), offer: azureDefault(), local: azure, remote: device, psk: PSK });
  const charon = await startDevice(t, { sites, dir, ike: ['aes256-sha256-modp1024'], esp: ['aes256gcm16'] });

  await initiate(charon, { child: SITE_CONNECTION, ike: SITE_CONNECTION });
  const { ike } = await waitForChild(charon, { ike: SITE_CONNECTION, child: SITE_CONNECTION });
  t.like(ike.values, { 'dh-group': 'MODP_1024', 'encr-alg': 'AES_CBC', 'integ-alg': 'HMAC_SHA2_256_128' });
  const { child: azureChild } = await waitForChild(peer.charon, { ike: AZURE_PEER_CONNECTION, child: AZURE_PEER_CONNECTION });
  // Azure's any-to-any selectors narrowed to what the device proposed
  t.deepEqual([azureChild['local-ts'], azureChild['remote-ts']], [[sites.right.subnet], [sites.left.subnet]]);

  await exec(sites.left.ns, ['ping', '-c', '3', '-W', '10', '-I', sites.left.inner, sites.right.inner]);
  const bytes = 4 * 1024 * 1024;
  const { sent, received } = await transferTcp({ from: { ns: sites.left.ns, address: sites.left.inner }, to: { ns: sites.right.ns, address: sites.right.inner }, bytes });
  t.deepEqual(received, sent);
  t.is(received.bytes, bytes);
  // the traffic went through the tunnel: the device's child counted it
  const [after] = await listSas(charon);
  const child = after!.children[0]!;
  t.true(Number(child['bytes-out']) > bytes, `bytes-out ${String(child['bytes-out'])}`);
  t.true(Number(child['packets-in']) >= 3, `packets-in ${String(child['packets-in'])}`);
});

// kernel-libipsec ignores if_id_in/out and routes any-to-any through its TUN device (a default
// route in table 220, the gateway excepted): a route-based child carries traffic as it is, with
// no XFRM interface (kernel_libipsec_ipsec.c in strongSwan 5.9.8)
test('a route-based child (any-to-any with an if_id) carries ping between the subnets through kernel-libipsec', async (t) => {
  const dir = await makeTempDir(t, 'vpn-azure-harness-');
  const sites = await makeSites(t);
  const { device, azure } = endpoints(sites);
  await startAzurePeer(t, { ns: sites.right.ns, dir: join(dir, 'azure'), offer: azureDefault(), local: azure, remote: device, psk: PSK });
  const charon = await startDevice(t, { sites, dir, ike: ['aes256-sha256-modp1024'], esp: ['aes256gcm16'], routeBased: true });

  await initiate(charon, { child: SITE_CONNECTION, ike: SITE_CONNECTION });
  const { child } = await waitForChild(charon, { ike: SITE_CONNECTION, child: SITE_CONNECTION });
  t.like(child, { 'if-id-in': '00000001', 'if-id-out': '00000001', 'local-ts': ['0.0.0.0/0'], 'remote-ts': ['0.0.0.0/0'] });
  await exec(sites.left.ns, ['ping', '-c', '3', '-W', '10', '-I', sites.left.inner, sites.right.inner]);
  const [after] = await listSas(charon);
  t.true(Number(after!.children[0]!['packets-out']) >= 3);
});

test('the Azure peer\'s charon, restarted and reloaded, takes the device\'s new tunnel after it stopped cleanly and deleted the old one', async (t) => {
  const dir = await makeTempDir(t, 'vpn-azure-harness-');
  const sites = await makeSites(t);
  const { device, azure } = endpoints(sites);
  const peer = await startAzurePeer(t, { ns: sites.right.ns, dir: join(dir, 'azure'), offer: azureDefault(), local: azure, remote: device, psk: PSK });
  const charon = await startDevice(t, { sites, dir, ike: ['aes256-sha256-modp1024'], esp: ['aes256gcm16'] });
  await initiate(charon, { child: SITE_CONNECTION, ike: SITE_CONNECTION });

  const restarted = await restartCharon(t, peer.charon);
  t.not(restarted.process.pid, peer.charon.process.pid);
  // charon-systemd logs its shutdown on SIGTERM: it was stopped, not killed
  t.regex(await readLog(restarted), /SIGTERM received, shutting down/);
  await loadSwanctlTree(restarted, { tree: peer.tree });
  // the peer deleted its SAs as it shut down, so the device has none left
  await waitFor(async () => (await listSas(charon)).length === 0, { what: 'the device to drop the IKE_SA the peer deleted' });
  await initiate(charon, { child: SITE_CONNECTION, ike: SITE_CONNECTION });
  await waitForChild(restarted, { ike: AZURE_PEER_CONNECTION, child: AZURE_PEER_CONNECTION });
  await exec(sites.left.ns, ['ping', '-c', '3', '-W', '10', '-I', sites.left.inner, sites.right.inner]);
});

test('active-active sites reach both gateways over their own links, and the gateways cannot reach each other', async (t) => {
  const sites = await makeSites(t, { activeActive: true });
  const second = sites.second!;
  await exec(sites.left.ns, ['ping', '-c', '1', '-W', '10', sites.right.outer]);
  await exec(sites.left.ns, ['ping', '-c', '1', '-W', '10', second.gateway.outer]);
  await exec(second.gateway.ns, ['ping', '-c', '1', '-W', '10', second.leftOuter]);
  const between = await exec(sites.right.ns, ['ping', '-c', '1', '-W', '2', second.gateway.outer], { reject: false });
  t.not(between.exitCode, 0);
});

// swanctl 5.9.8 answers a syntax error with "invalid config file", unloads every connection and
// exits 0: the harness must not take that for a loaded configuration
test('loading a swanctl tree with a syntax error is refused although swanctl exits 0', async (t) => {
  const dir = await makeTempDir(t, 'vpn-azure-harness-');
  const sites = await makeSites(t);
  const charon = await startCharon(t, { ns: sites.left.ns, dir: join(dir, 'charon') });
  await writeFiles(join(dir, 'tree'), { 'etc/swanctl/swanctl.conf': 'connections {\n  broken {\n    version = 2\n' });
  const error = await t.throwsAsync(loadSwanctlTree(charon, { tree: join(dir, 'tree') }));
  t.regex(error.message, /\(exit 0\)[\s\S]*invalid config file/);
});

const ECP384_POLICY = {
  ikeEncryption: 'GCMAES256', ikeIntegrity: 'SHA384', dhGroup: 'ECP384', ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'GCMAES256',
  pfsGroup: 'ECP384', saLifeTimeSeconds: 27_000, saDataSizeKilobytes: 102_400_000,
} as const;

// pluto has only the kernel's ESP: on a host kernel without it, pluto's SA install fails after the
// proposals were chosen, so this checks what both sides negotiated, and the boot test the traffic
test('a strongSwan device and libreswan\'s pluto as Azure with a custom GCMAES256/SHA384/ECP384 policy choose exactly that IKE and ESP suite', async (t) => {
  const dir = await makeTempDir(t, 'vpn-azure-harness-');
  const sites = await makeSites(t);
  const { device, azure } = endpoints(sites);
  const offer = azureOffer({ preset: 'azure-custom', custom: ECP384_POLICY, dpdTimeoutSeconds: 45, allowDhGroup2: false })!;
  const pluto = await startLibreswanPeer(t, { ns: sites.right.ns, dir: join(dir, 'pluto'), offer, local: azure, remote: device, psk: PSK });
  const charon = await startDevice(t, { sites, dir, ike: offer.defaults.ike, esp: offer.defaults.esp });

  // the child fails here when pluto cannot install its SAs (no ESP in the host kernel)
  await initiate(charon, { child: SITE_CONNECTION, ike: SITE_CONNECTION }).catch(() => undefined);
  const ike = await waitFor(async () => (await listSas(charon)).find((sa) => sa.values.state === 'ESTABLISHED'), { what: 'the device\'s IKE_SA' });
  t.like(ike.values, { 'encr-alg': 'AES_GCM_16', 'encr-keysize': '256', 'prf-alg': 'PRF_HMAC_SHA2_384', 'dh-group': 'ECP_384' });
  t.true((await plutoStates(pluto)).some((state) => state.includes('STATE_V2_ESTABLISHED_IKE_SA')));
  const log = await readPlutoLog(pluto);
  t.regex(log, /proposal 1:IKE=AES_GCM_C_256-HMAC_SHA2_384-ECP_384 chosen/);
  t.regex(log, /proposal 1:ESP=AES_GCM_C_256-DISABLED SPI=\w+ chosen/);
});
