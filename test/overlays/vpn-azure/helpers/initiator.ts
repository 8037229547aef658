/**
 * Hand-written initiator configurations (the device's side) as swanctl trees laid out as in the
 * image: etc/swanctl/swanctl.conf with the PSK in etc/swanctl/conf.d/, included by its absolute
 * path as the device's configuration does.
 */
import { join } from 'node:path';
import { writeFiles } from '../../../helpers/temp-dir.js';
import { pskConf, type Endpoint } from './azure-peer.js';

/** The initiator's connection and child are both named this. */
export const SITE_CONNECTION = 'site';

/**
 * Writes an initiator's tree under `dir`; returns the tree's root. With `ifId` the child is
 * route-based (if_id_in/out, as for an XFRM interface).
 */
export async function writeInitiatorTree(dir: string, options: { local: Endpoint; remote: Endpoint; psk: string; ike: string[]; esp: string[]; localTs: string; remoteTs: string; ifId?: number }): Promise<string> {
  const ifId = options.ifId === undefined ? '' : `\n        if_id_in = ${options.ifId}\n        if_id_out = ${options.ifId}`;
  const tree = join(dir, 'initiator-tree');
  const conf = `connections {
  ${SITE_CONNECTION} {
    version = 2
    local_addrs = ${options.local.address}
    remote_addrs = ${options.remote.address}
    proposals = ${options.ike.join(',')}
    local {
      auth = psk
      id = ${options.local.id}
    }
    remote {
      auth = psk
      id = ${options.remote.id}
    }
    children {
      ${SITE_CONNECTION} {
        local_ts = ${options.localTs}
        remote_ts = ${options.remoteTs}
        esp_proposals = ${options.esp.join(',')}${ifId}
      }
    }
  }
}
include /etc/swanctl/conf.d/*.conf
`;
  await writeFiles(tree, { 'etc/swanctl/swanctl.conf': conf, 'etc/swanctl/conf.d/psk.conf': pskConf(options) });
  return tree;
}
