/**
 * The overlay's own rendered configuration (renderVpnAzure, loaded as the image loads it, with its
 * strongswan.d settings) against an "Azure" gateway offering exactly what Azure offers under each
 * preset: strongSwan for every preset, with traffic through kernel-libipsec (user-space ESP over
 * TUN: this host's kernel may have no ESP), and libreswan's pluto, the independent IKE
 * implementation, for the custom policies it can negotiate.
 */
import ava from 'ava';
import { join } from 'node:path';
import { azureOffer } from '../../../overlays/vpn-azure/presets.js';
import type { VpnAzureConfig } from '../../../overlays/vpn-azure/schema.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { startAzurePeer } from './helpers/azure-peer.js';
import { CHARON, SWANCTL } from './helpers/charon.js';
import { siteConfig, startDevice } from './helpers/device.js';
import { PLUTO, readPlutoLog, startLibreswanPeer } from './helpers/libreswan-peer.js';
import { exec, makeSites, type Sites } from './helpers/netns.js';
import { listSas, waitForChild } from './helpers/swanctl.js';
import { transferTcp } from './helpers/tcp-transfer.js';
import { waitFor } from './helpers/wait.js';
import { ECP384_POLICY, parse } from './fixtures.js';

const test = testNeeding({
  tools: { ip: 'iproute2', [CHARON]: 'charon-systemd', [SWANCTL]: 'strongswan-swanctl', ping: 'iputils-ping', certutil: 'libnss3-tools', [PLUTO]: 'libreswan, unpacked by .ci/setup-host' },
  root: 'network namespaces, veth pairs and charon\'s TUN device',
});

const PSK = 'tunnels-test-shared-key-0123456789';
const DH14_POLICY = { ikeEncryption: 'AES256', ikeIntegrity: 'SHA256', dhGroup: 'DHGroup14', ipsecEncryption: 'AES256', ipsecIntegrity: 'SHA256', pfsGroup: 'PFS2048' };
/** The policy-based case's second on-premises prefix: two local x one remote prefix make two children. */
const SECOND_LOCAL = { address: '10.1.1.1', subnet: '10.1.1.0/24' };

const endpoints = (sites: Sites) => ({
  device: { address: sites.left.outer, id: sites.left.outer },
  azure: { address: sites.right.outer, id: sites.right.outer },
});

/** One preset: the config's policy and mode, and what the two sides must agree on. */
interface PresetCase {
  config: (sites: Sites) => Record<string, unknown>;
  ike: Record<string, string>;
  esp: Record<string, string>;
  /** The device's children and the local address each one's traffic comes from. */
  children: (sites: Sites) => { name: string; from: string }[];
}

const routeBased = (policy: Record<string, unknown>): PresetCase['config'] => (sites) => siteConfig(sites, { policy });
const oneChild: PresetCase['children'] = (sites) => [{ name: 'azure-hq-1', from: sites.left.inner }];

const offerOf = (config: VpnAzureConfig) => azureOffer(config.connections[0]!.policy)!;

/** A preset's tunnel up against the strongSwan Azure, then ping and a TCP transfer through each child. */
const presetTunnel = ava.macro(async (t, preset: PresetCase) => {
  const dir = await makeTempDir(t, 'vpn-azure-tunnels-');
  const sites = await makeSites(t);
  const { device, azure } = endpoints(sites);
  const config = parse(preset.config(sites));
  const children = preset.children(sites);
  if (children.length > 1) await exec(sites.left.ns, ['ip', 'addr', 'add', `${SECOND_LOCAL.address}/24`, 'dev', 'lo']);
  await startAzurePeer(t, { ns: sites.right.ns, dir: join(dir, 'azure'), offer: offerOf(config), local: azure, remote: device, psk: PSK });
  const { charon } = await startDevice(t, { ns: sites.left.ns, dir, config, psk: PSK });

  for (const [index, child] of children.entries()) {
    const up = await waitForChild(charon, { ike: 'azure-hq-1', child: child.name });
    t.like(up.ike.values, preset.ike);
    t.like(up.child, preset.esp);
    await exec(sites.left.ns, ['ping', '-c', '3', '-W', '10', '-I', child.from, sites.right.inner]);
    const bytes = 2 * 1024 * 1024;
    const { sent, received } = await transferTcp({ from: { ns: sites.left.ns, address: child.from }, to: { ns: sites.right.ns, address: sites.right.inner }, bytes, port: 5201 + index });
    t.deepEqual(received, sent);
    t.is(received.bytes, bytes);
  }
  // the traffic went through the children: each counted its ping and transfer
  const [ike] = await listSas(charon);
  for (const child of ike!.children) t.true(Number(child['bytes-out']) > 2 * 1024 * 1024, `${String(child.name)} bytes-out ${String(child['bytes-out'])}`);
});

const CASES: Record<string, PresetCase> = {
  'azure-default (DH group 2 allowed)': {
    config: routeBased({ preset: 'azure-default', allowDhGroup2: true }),
    // the responder picks each algorithm by its own order (strongSwan's default,
    // charon.prefer_configured_proposals), and Azure's list has SHA1 before SHA256
    ike: { version: '2', 'encr-alg': 'AES_CBC', 'encr-keysize': '256', 'integ-alg': 'HMAC_SHA1_96', 'dh-group': 'MODP_1024' },
    esp: { 'encr-alg': 'AES_GCM_16', 'encr-keysize': '256' },
    children: oneChild,
  },
  'azure-custom GCMAES256/SHA384/ECP384, PFS ECP384': {
    config: routeBased({ preset: 'azure-custom', custom: ECP384_POLICY }),
    ike: { version: '2', 'encr-alg': 'AES_GCM_16', 'encr-keysize': '256', 'prf-alg': 'PRF_HMAC_SHA2_384', 'dh-group': 'ECP_384' },
    esp: { 'encr-alg': 'AES_GCM_16', 'encr-keysize': '256' },
    children: oneChild,
  },
  'azure-custom AES256/SHA256/DHGroup14, PFS2048': {
    config: routeBased({ preset: 'azure-custom', custom: DH14_POLICY }),
    ike: { version: '2', 'encr-alg': 'AES_CBC', 'encr-keysize': '256', 'integ-alg': 'HMAC_SHA2_256_128', 'dh-group': 'MODP_2048' },
    esp: { 'encr-alg': 'AES_CBC', 'encr-keysize': '256', 'integ-alg': 'HMAC_SHA2_256_128' },
    children: oneChild,
  },
  'azure-policy-based (IKEv1, one child per prefix pair)': {
    config: (sites) => ({ ...siteConfig(sites, { localSubnets: [sites.left.subnet, SECOND_LOCAL.subnet], policy: { preset: 'azure-policy-based', allowDhGroup2: true } }), mode: 'policy-based' }),
    ike: { version: '1', 'encr-alg': 'AES_CBC', 'encr-keysize': '256', 'integ-alg': 'HMAC_SHA1_96', 'dh-group': 'MODP_1024' },
    esp: { 'encr-alg': 'AES_CBC', 'encr-keysize': '256', 'integ-alg': 'HMAC_SHA1_96' },
    children: (sites) => [{ name: 'azure-hq-1-1', from: sites.left.inner }, { name: 'azure-hq-1-2', from: SECOND_LOCAL.address }],
  },
};

for (const [name, preset] of Object.entries(CASES)) {
  test(`the rendered ${name} tunnel comes up with Azure's suites against a strongSwan Azure and carries ping and TCP between the subnets`, async (t) => {
    await presetTunnel.exec(t, preset);
  });
}

// pluto has only the kernel's ESP: on this host's kernel (no ESP) it fails to install its SAs
// after both sides chose the proposals, so no traffic can pass here; the boot test carries it
const plutoTunnel = ava.macro(async (t, custom: Record<string, string>, expected: { ike: RegExp; ikeValues: Record<string, string> }) => {
  const dir = await makeTempDir(t, 'vpn-azure-tunnels-');
  const sites = await makeSites(t);
  const { device, azure } = endpoints(sites);
  const config = parse(siteConfig(sites, { policy: { preset: 'azure-custom', custom } }));
  const pluto = await startLibreswanPeer(t, { ns: sites.right.ns, dir: join(dir, 'pluto'), offer: offerOf(config), local: azure, remote: device, psk: PSK });
  const { charon } = await startDevice(t, { ns: sites.left.ns, dir, config, psk: PSK });

  const ike = await waitFor(async () => (await listSas(charon)).find((sa) => sa.name === 'azure-hq-1' && sa.values.state === 'ESTABLISHED'), { what: 'the device\'s IKE_SA with pluto' });
  t.like(ike.values, expected.ikeValues);
  const esp = await waitFor(async () => /proposal \d+:ESP=\S+ SPI=\w+ chosen/.exec(await readPlutoLog(pluto))?.[0], { what: 'pluto to choose an ESP proposal' });
  t.log(`pluto chose ${esp}`);
  t.regex(await readPlutoLog(pluto), expected.ike);
});

test('the rendered custom ECP384 policy establishes IKE with libreswan\'s pluto as Azure, which chooses AES-GCM-256 for ESP', async (t) => {
  await plutoTunnel.exec(t, ECP384_POLICY, { ike: /proposal \d+:IKE=AES_GCM_C_256-HMAC_SHA2_384-ECP_384 chosen/, ikeValues: { 'encr-alg': 'AES_GCM_16', 'prf-alg': 'PRF_HMAC_SHA2_384', 'dh-group': 'ECP_384' } });
});

test('the rendered custom DHGroup14 policy establishes IKE with libreswan\'s pluto as Azure, which chooses AES-256 with SHA-256 for ESP', async (t) => {
  await plutoTunnel.exec(t, DH14_POLICY, { ike: /proposal \d+:IKE=AES_CBC_256-HMAC_SHA2_256-HMAC_SHA2_256_128-MODP2048 chosen/, ikeValues: { 'encr-alg': 'AES_CBC', 'integ-alg': 'HMAC_SHA2_256_128', 'dh-group': 'MODP_2048' } });
});
