/**
 * Which Debian mirror a build uses: the config's `mirror:` when given, else the one the host's
 * own apt sources name. No mirror host is written anywhere in McDebian.
 */
import type { Config } from './config/load.js';
import { UserError } from './core/errors.js';
import { readHostMirrors } from '../rootfs/apt-sources.js';

export interface ResolvedMirrors {
  mirror: string;
  securityMirror?: string;
  /** `mcdebian.yaml` or the host files read. */
  source: string;
}

export async function resolveMirrors(config: Config, options: { aptRoot?: string } = {}): Promise<ResolvedMirrors> {
  const host = config.mirror && config.securityMirror ? undefined : await readHostMirrors({ root: options.aptRoot });
  const mirror = config.mirror ?? host?.mirror;
  if (!mirror) {
    throw new UserError(`no Debian mirror: ${config.file ?? 'the config'} sets no mirror: and the host's apt sources (${host?.sources.join(', ') || 'none found'}) name none`, {
      hint: 'add mirror: http://<your Debian mirror>/debian to mcdebian.yaml',
    });
  }
  return {
    mirror: mirror.replace(/\/+$/, ''),
    securityMirror: (config.securityMirror ?? host?.securityMirror)?.replace(/\/+$/, ''),
    source: config.mirror ? (config.file ?? 'mcdebian.yaml') : host!.sources.join(', '),
  };
}
