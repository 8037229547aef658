/**
 * Node services are bundled into one file that Debian's own `nodejs` runs on the device: no
 * node_modules in the image, and no native modules (the router is armhf; the build host is not).
 * esbuild does the bundling; this module only fixes its settings and refuses native code.
 */
import { build, type Message } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { UserError } from '../build/core/errors.js';

/** A Node service an overlay ships. */
export interface NodeService {
  /** The service's entry module (compiled JavaScript, under dist/). */
  entry: string;
  /** Where the bundle goes in the image. */
  path: string;
}

/** The project root: esbuild names sources relative to it, so a bundle does not depend on where the tree is checked out. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Debian trixie's nodejs. */
export const TARGET_NODE = 'node20.19';

/** Bundles one service into a single ES module; throws a UserError naming any native module. */
export async function bundleNodeService(service: NodeService): Promise<string> {
  let result;
  try {
    result = await build({
      entryPoints: [service.entry],
      absWorkingDir: ROOT,
      bundle: true,
      platform: 'node',
      target: TARGET_NODE,
      format: 'esm',
      // CommonJS dependencies may still call require() for Node's own modules
      banner: { js: 'import { createRequire as __mcdebianRequire } from \'node:module\'; const require = __mcdebianRequire(import.meta.url);' },
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
  } catch (error) {
    const messages = (error as { errors?: Message[] }).errors ?? [];
    const native = messages.find((message) => /\.node"? files|\.node\b/.test(message.text));
    const where = (message: Message) => (message.location ? `${message.location.file}:${message.location.line}: ` : '');
    throw new UserError(`cannot bundle ${service.path} from ${service.entry}: ${messages.map((m) => `${where(m)}${m.text}`).join('; ') || String(error)}`, {
      hint: native ? 'a native module cannot run on the device (armhf, Debian\'s nodejs): use a pure JavaScript package instead' : 'fix the import the message names',
    });
  }
  const native = Object.keys(result.metafile.inputs).filter((input) => input.endsWith('.node'));
  if (native.length > 0) {
    throw new UserError(`${service.path} would need native modules: ${native.join(', ')}`, { hint: 'use a pure JavaScript package instead' });
  }
  return result.outputFiles[0]!.text;
}

/** Every service of the given overlays, bundled: image path -> code. */
export async function bundleServices(services: readonly NodeService[]): Promise<Record<string, string>> {
  const entries = await Promise.all(services.map(async (service) => [service.path, await bundleNodeService(service)] as const));
  return Object.fromEntries(entries);
}
