/**
 * The device's side as the image has it: the overlay's own rendered files (renderVpnAzure), laid
 * out as a tree with the swanctl.conf of Debian's strongswan-swanctl (which includes
 * conf.d/*.conf), loaded into a charon whose strongswan.conf carries the rendered strongswan.d
 * settings, so that the retransmission schedule that runs is the overlay's.
 */
import { join } from 'node:path';
import type { LayerFile } from '../../../../rootfs/configure.js';
import type { OverlayRender } from '../../../../overlays/overlay.js';
import { CONNECTIONS_FILE, renderVpnAzure } from '../../../../overlays/vpn-azure/render.js';
import type { VpnAzureConfig } from '../../../../overlays/vpn-azure/schema.js';
import { TUNNELS_FILE } from '../../../../overlays/vpn-azure/app/tunnels-file.js';
import { writeFiles } from '../../../helpers/temp-dir.js';
import { pskFiles, router } from '../fixtures.js';
import { startCharon, type Charon } from './charon.js';
import type { Teardown } from './netns.js';
import type { Sites } from './netns.js';
import { loadSwanctlTree } from './swanctl.js';

/** The rendered strongswan.d file with charon's retransmission settings. */
export const CHARON_SETTINGS_FILE = '/etc/strongswan.d/mcdebian-vpn-azure.conf';

/** A running device: its charon, the render it was given, and where its tunnels file is. */
export interface Device {
  charon: Charon;
  rendered: OverlayRender;
  tree: string;
  /** The rendered tunnels file, written where `status --tunnels` can read it. */
  tunnelsFile: string;
}

/** A vpn-azure section for the test's sites: one connection from the site to its gateway(s). */
export function siteConfig(sites: Sites, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    connections: [{
      name: 'hq',
      gateways: [sites.right.outer, ...(sites.second ? [sites.second.gateway.outer] : [])],
      localId: sites.left.outer,
      localSubnets: [sites.left.subnet],
      remoteSubnets: [sites.right.subnet],
      psk: 'keys/hq.psk',
      ...fields,
    }],
  };
}

const contentOf = (rendered: OverlayRender, path: string): string => {
  const found = rendered.files.find((file: LayerFile) => file.path === path);
  if (found?.content === undefined) throw new Error(`the render has no ${path}`);
  return found.content;
};

/**
 * Renders the config, writes the swanctl tree (after `edit`, given the connections file's text,
 * for a test that must change what it cannot set through the schema), starts charon in `ns` with
 * the rendered settings and loads the tree: the connections' start_action = start initiates them.
 */
export async function startDevice(t: Teardown, options: { ns: string; dir: string; config: VpnAzureConfig; psk: string; edit?: (text: string) => string }): Promise<Device> {
  const rendered = renderVpnAzure(options.config, pskFiles(options.config, `${options.psk}\n`), router);
  const tree = join(options.dir, 'device-tree');
  const swanctl = Object.fromEntries(rendered.files.filter((file) => file.path.startsWith('/etc/swanctl/')).map((file) => [file.path.slice(1), file.content ?? '']));
  const connections = CONNECTIONS_FILE.slice(1);
  swanctl[connections] = (options.edit ?? ((text) => text))(swanctl[connections]!);
  const tunnelsFile = join(options.dir, 'tunnels.json');
  await writeFiles(tree, { ...swanctl, 'etc/swanctl/swanctl.conf': 'include conf.d/*.conf\n' });
  await writeFiles(options.dir, { 'tunnels.json': contentOf(rendered, TUNNELS_FILE) });
  const charon = await startCharon(t, { ns: options.ns, dir: join(options.dir, 'device'), settings: contentOf(rendered, CHARON_SETTINGS_FILE) });
  await loadSwanctlTree(charon, { tree });
  return { charon, rendered, tree, tunnelsFile };
}
