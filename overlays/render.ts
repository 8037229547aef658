/**
 * Renders every resolved overlay and merges the results: their files and units go into the
 * configuration layer, their checks run in the assembled image (each unit they ship is also
 * checked by `systemd-analyze verify`), their outputs go to out/<board>/<overlay>/.
 */
import { createHash } from 'node:crypto';
import type { LayerFile } from '../rootfs/configure.js';
import type { NodeService } from './bundle.js';
import type { OverlayCheck, OverlayContext, OverlayOutput, ResolvedOverlay } from './overlay.js';

export interface RenderedOverlays {
  files: LayerFile[];
  units: string[];
  /** Checks, each description prefixed with its overlay's name. */
  checks: OverlayCheck[];
  /** Outputs with paths relative to out/<board>/ (`<overlay>/<file>`). */
  outputs: OverlayOutput[];
  notes: string[];
  /** Which overlay put each file into the layer, by path. */
  origins: Record<string, string>;
  /** The units each overlay enables, by overlay name (for the manifest). */
  unitsByOverlay: Record<string, string[]>;
}

const UNIT_FILE = /^\/etc\/systemd\/system\/[^/]+\.(service|socket|timer|path|mount|target)$/;

/** Renders the overlays; `bundles` holds each Node service's bundled code by its path in the image. */
export function renderOverlays(resolved: readonly ResolvedOverlay[], context: OverlayContext, bundles: Readonly<Record<string, string>> = {}): RenderedOverlays {
  const merged: RenderedOverlays = { files: [], units: [], checks: [], outputs: [], notes: [], origins: {}, unitsByOverlay: {} };
  for (const { overlay, config, files } of resolved) {
    const render = overlay.render(config, files, context);
    for (const service of overlay.nodeServices ?? []) {
      const code = bundles[service.path];
      if (code === undefined) throw new Error(`${overlay.name}: ${service.path} was not bundled`);
      merged.files.push({ path: service.path, content: code, mode: 0o644 });
      merged.origins[service.path] = overlay.name;
    }
    for (const file of render.files) merged.origins[file.path] = overlay.name;
    const units = render.files.filter((file) => UNIT_FILE.test(file.path)).map((file) => file.path);
    merged.files.push(...render.files);
    merged.units.push(...render.units);
    merged.unitsByOverlay[overlay.name] = [...render.units];
    merged.checks.push(
      ...units.map((unit) => ({
        description: `${overlay.name}: systemd-analyze verify ${unit}`,
        // --man=no: images carry no manual pages for the Documentation= lines to find
        argv: ['systemd-analyze', 'verify', '--man=no', unit],
        // verify exits 0 on unknown keys and bad values, which it only warns about
        failOn: new RegExp(`^${escape(unit)}:\\d+:|${escape(unit.split('/').at(-1)!)}: `, 'm'),
      })),
      ...render.checks.map((check) => ({ ...check, description: `${overlay.name}: ${check.description}` })),
    );
    merged.outputs.push(...render.outputs.map((output) => ({ ...output, path: `${overlay.name}/${output.path}` })));
    merged.notes.push(...render.notes.map((note) => `${overlay.name}: ${note}`));
  }
  return merged;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The packages the overlays need; a Node service needs Debian's nodejs. */
export function overlayPackages(resolved: readonly ResolvedOverlay[]): string[] {
  return resolved.flatMap(({ overlay, config }) => [...overlay.packages(config), ...(overlay.nodeServices?.length ? ['nodejs'] : [])]);
}

/** The Node services of the enabled overlays. */
export function overlayServices(resolved: readonly ResolvedOverlay[]): NodeService[] {
  return resolved.flatMap(({ overlay }) => overlay.nodeServices ?? []);
}

/** What the layer's cache key records of the overlays' files: which file, and a hash of its content. */
export function overlayFileDigests(resolved: readonly ResolvedOverlay[]): Record<string, string> {
  const digest = (content: string | undefined) => (content === undefined ? 'to be generated' : createHash('sha256').update(content).digest('hex'));
  return Object.fromEntries(resolved.flatMap(({ overlay, files }) => files.map((file) => [`${overlay.name}.${file.field.join('.')}`, `${file.path} ${digest(file.content)}`])));
}
