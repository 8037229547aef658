/**
 * `build --explain`: which inputs of each stage changed since the last build of the board, so a
 * user sees why a stage is rebuilt (or that it is reused). Pure: compares two input records.
 */

/** The inputs hashed into each stage's key. */
export type StageInputs = Record<'base' | 'layer' | 'images', unknown>;

/** Paths like `spec.packages` with their values, for every leaf of a JSON value. */
function flatten(value: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      for (const [path, leaf] of flatten(inner, prefix ? `${prefix}.${key}` : key)) out.set(path, leaf);
    }
  } else {
    out.set(prefix, JSON.stringify(value));
  }
  return out;
}

/** The fields whose value differs, as "field: old -> new". */
export function changedFields(before: unknown, after: unknown): string[] {
  const a = flatten(before);
  const b = flatten(after);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  const shorten = (text: string | undefined) => (text === undefined ? '(none)' : text.length > 80 ? `${text.slice(0, 77)}...` : text);
  return paths.filter((path) => a.get(path) !== b.get(path)).map((path) => `${path}: ${shorten(a.get(path))} -> ${shorten(b.get(path))}`);
}

/** One line per stage: reused, or rebuilt and why. */
export function explainStages(previous: StageInputs | undefined, current: StageInputs, cached: Record<keyof StageInputs, boolean>): string[] {
  let earlierChanged = false;
  return (['base', 'layer', 'images'] as const).map((stage) => {
    if (cached[stage]) return `${stage}: reused from the cache (inputs unchanged)`;
    if (!previous) return `${stage}: built (no earlier build of this board is recorded)`;
    // the layer's inputs name the base's key, the images' the layer's: those show as earlierChanged
    const changes = changedFields(previous[stage], current[stage]).filter((line) => !line.startsWith('base:') && !line.startsWith('layer:'));
    const line = changes.length > 0 ? `${stage}: rebuilt because ${changes.join('; ')}`
      : earlierChanged ? `${stage}: rebuilt because an earlier stage changed`
      : stage === 'images' ? 'images: made afresh (images are not cached)'
      : `${stage}: rebuilt because its cache entry is missing (inputs unchanged)`;
    earlierChanged ||= changes.length > 0 || stage !== 'images';
    return line;
  });
}
