/**
 * The vpn-azure boot test's two guests, joined by a `mcdebian boot --link` network (QEMU's UDP
 * tunnel on the host's loopback, not user-mode NAT, which passes no ESP): the qemu-armhf router
 * with the overlay, and a second qemu-armhf guest playing the Azure gateway with a strongSwan
 * responder configured with Azure's offers. The second image is built from the router's package
 * list, so that the stage cache gives it the router's base without a second bootstrap.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { azureOffer } from '../../../../overlays/vpn-azure/presets.js';
import { bootGuest, runCliIn, writeConfig, type BootedGuest, type Workspace } from '../../../helpers/guest.js';
import { azurePeerConf, pskConf } from './azure-peer.js';

/** The Azure connection's custom policy both sides use: Azure's recommended algorithms. */
export const POLICY = { ikeEncryption: 'GCMAES256', ikeIntegrity: 'SHA384', dhGroup: 'ECP384', ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'GCMAES256', pfsGroup: 'ECP384' } as const;

/** The link's addresses (documentation range, as two public addresses would be) and MACs. */
export const LINK = {
  router: { address: '192.0.2.2', mac: '52:54:00:17:00:02' },
  azure: { address: '192.0.2.10', mac: '52:54:00:17:00:0a' },
} as const;
/** The router's "LAN" (a dummy interface) and the VNet's first address on the Azure guest. */
export const ROUTER_LAN = { address: '192.168.50.1', subnet: '192.168.50.0/24' };
export const VNET = { address: '10.20.0.1', subnet: '10.20.0.0/16' };
/**
 * The Azure connection's DPD timeout in the test (Azure takes 9 to 3,600 s): short, so that the
 * router notices the restarted peer in about 20 s rather than 45, yet long enough that a guest
 * slowed by TCG on a loaded machine is not taken for dead.
 */
const DPD_TIMEOUT = 20;
/** The XFRM interface id of the Azure guest's own tunnel interface. */
const AZURE_IF_ID = 7;

const PACKAGES_NOTE = '# the router\'s overlays\' packages and iputils-ping: the same list gives the same base';
/** The router's packages besides the base's, as its overlays ask for them (nodejs for the Node services). */
export const SHARED_PACKAGES = ['iputils-ping', 'openssh-client', 'bind9', 'bind9-dnsutils', 'nodejs', 'charon-systemd', 'strongswan-swanctl', 'libstrongswan-standard-plugins'];

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content, { mode: path.includes('secret') || path.includes('psk') ? 0o600 : 0o644 });
  }
}

/** networkd files: the link's address (matched by MAC, sorting before the image's DHCP file) and a dummy interface. */
function linkFiles(side: keyof typeof LINK, dummy: { name: string; address: string; prefix: number }): Record<string, string> {
  const { address, mac } = LINK[side];
  return {
    'etc/systemd/network/05-vpn-link.network': `[Match]\nMACAddress=${mac}\n\n[Network]\nAddress=${address}/24\nLinkLocalAddressing=no\nIPv6AcceptRA=no\n`,
    [`etc/systemd/network/05-${dummy.name}.netdev`]: `[NetDev]\nName=${dummy.name}\nKind=dummy\n`,
    [`etc/systemd/network/05-${dummy.name}.network`]: `[Match]\nName=${dummy.name}\n\n[Network]\nAddress=${dummy.address}/${dummy.prefix}\n`,
  };
}

/** The router's own `files:` tree (its link address and LAN) and its vpn-azure section. */
export async function writeRouterSide(workspace: Workspace, pskFile: string): Promise<{ topLevel: string[]; overlay: string[] }> {
  await writeTree(join(workspace.dir, 'router-files'), linkFiles('router', { name: 'lan0', address: ROUTER_LAN.address, prefix: 24 }));
  const topLevel = ['files: router-files', PACKAGES_NOTE, `packages: [${SHARED_PACKAGES.join(', ')}]`];
  const overlay = [
    '  vpn-azure:',
    '    connections:',
    `      - { name: hq, gateways: [${LINK.azure.address}], localId: ${LINK.router.address}, localSubnets: [${ROUTER_LAN.subnet}], remoteSubnets: [${VNET.subnet}], psk: ${pskFile},`,
    `          policy: { preset: azure-custom, dpdTimeoutSeconds: ${DPD_TIMEOUT}, custom: { ${Object.entries(POLICY).map(([key, value]) => `${key}: ${value}`).join(', ')} } } }`,
  ];
  return { topLevel, overlay };
}

/** The Azure guest's config: the router's packages, its own output directory, a strongSwan responder with Azure's offers. */
export async function writeAzureGuest(workspace: Workspace, options: { psk: string }): Promise<string> {
  const offer = azureOffer({ preset: 'azure-custom', custom: { ...POLICY, saLifeTimeSeconds: 27_000, saDataSizeKilobytes: 102_400_000 }, dpdTimeoutSeconds: 45, allowDhGroup2: false });
  if (!offer) throw new Error('no offer for the custom policy');
  const endpoints = { local: { address: LINK.azure.address, id: LINK.azure.address }, remote: { address: LINK.router.address, id: LINK.router.address } };
  // a route-based gateway: the any-to-any child is bound to an XFRM interface, so that its
  // 0.0.0.0/0 policies take only what is routed into that interface (the guest's SSH stays out)
  const conf = azurePeerConf({ offer, ...endpoints, psk: options.psk })
    .replace('dpd_action = clear', `dpd_action = clear\n        if_id_in = ${AZURE_IF_ID}\n        if_id_out = ${AZURE_IF_ID}`)
    .replace('include /etc/swanctl/conf.d/*.conf\n', '');
  await writeTree(join(workspace.dir, 'azure-files'), {
    ...linkFiles('azure', { name: 'vnet0', address: VNET.address, prefix: 16 }),
    'etc/systemd/network/06-az.netdev': `[NetDev]\nName=az\nKind=xfrm\n\n[Xfrm]\nInterfaceId=${AZURE_IF_ID}\nIndependent=yes\n`,
    'etc/systemd/network/06-az.network': `[Match]\nName=az\n\n[Network]\nLinkLocalAddressing=no\nConfigureWithoutCarrier=yes\n\n[Route]\nDestination=${ROUTER_LAN.subnet}\n`,
    'etc/swanctl/conf.d/azure.conf': conf,
    'etc/swanctl/conf.d/azure-psk.conf': pskConf({ ...endpoints, psk: options.psk }),
  });
  return writeConfig(workspace, 'azure', ['board: qemu-armhf', 'hostname: azure', 'output: out-azure', 'files: azure-files', PACKAGES_NOTE, `packages: [${SHARED_PACKAGES.join(', ')}]`]);
}

/** The Azure guest, booted, and what its build printed (which says whether it reused the router's base). */
export interface AzureGuest {
  guest: BootedGuest & { sshPort: number };
  buildOutput: string;
}

/**
 * Builds the Azure guest and boots it on the link (its local port, the router's port): started
 * right after the router's build, so that it boots while the router's other tests run.
 */
export async function startAzureGuest(workspace: Workspace, options: { psk: string; ports: { local: number; peer: number } }): Promise<AzureGuest> {
  const config = await writeAzureGuest(workspace, { psk: options.psk });
  const built = await runCliIn(workspace, ['build', '-c', config]);
  if (built.exitCode !== 0) throw new Error(`the Azure guest's build failed:\n${built.stderr.slice(-3000)}`);
  const guest = await bootGuest(workspace, config, { minutes: 25, bootArgs: ['--link', `udp:${options.ports.local}:${options.ports.peer},mac=${LINK.azure.mac}`] });
  // Debian's unit, as the package installs it (a responder: it waits for the router)
  await guest.run('systemctl enable --now strongswan.service');
  return { guest, buildOutput: built.stderr };
}
