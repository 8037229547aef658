/**
 * `build --explain`: which inputs of each stage changed since the last build of the board, so a
 * user sees why a stage is rebuilt (or that it is reused). The layer's files are named (added,
 * removed, changed, with the overlay or part of the image they belong to), never their digests.
 * Pure: compares two input records.
 */

/** The inputs hashed into each stage's key. */
export type StageInputs = Record<'base' | 'layer' | 'images', unknown>;

/** A file of the configuration layer as the layer's key records it. */
export interface LayerFileInput {
  /** Which part of the image put it there: an overlay's name, `files:` (the user's tree) or `base`. */
  part: string;
  /** Digest of the entry (content, mode, target), so that a change shows without the content. */
  digest: string;
}

/** How many changed files are named before the rest are only counted. */
const NAMED_FILES = 5;

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

const isFileRecord = (value: unknown): value is Record<string, LayerFileInput> =>
  value !== null && typeof value === 'object' && Object.values(value).every((entry) => typeof (entry as LayerFileInput)?.digest === 'string');

/**
 * The layer's files that were added, removed or changed, named with their part: the first few,
 * then counts, so a large change stays one short line. Undefined when none changed.
 */
export function describeFileChanges(before: unknown, after: unknown): string | undefined {
  if (!isFileRecord(after)) return undefined;
  if (!isFileRecord(before)) return JSON.stringify(before) === JSON.stringify(after) ? undefined : 'the layer\'s files changed (the earlier build\'s record does not name them)';
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes = paths.flatMap((path) => {
    const [old, now] = [before[path], after[path]];
    if (old?.digest === now?.digest && old?.part === now?.part) return [];
    const how = old === undefined ? 'added' : now === undefined ? 'removed' : 'changed';
    return [{ how, text: `${how} ${path} (${(now ?? old)!.part})` }];
  });
  if (changes.length === 0) return undefined;
  const count = (how: string) => changes.filter((change) => change.how === how).length;
  const counts = ['added', 'changed', 'removed'].filter((how) => count(how) > 0).map((how) => `${count(how)} ${how}`).join(', ');
  const named = changes.slice(0, NAMED_FILES).map((change) => change.text).join(', ');
  const more = changes.length > NAMED_FILES ? `, and ${changes.length - NAMED_FILES} more` : '';
  return `${changes.length === 1 ? '1 file' : `${changes.length} files`} (${counts}): ${named}${more}`;
}

/** The config files an overlay reads (`overlayFiles`), named by field and path instead of their digests. */
function describeOverlayFiles(before: unknown, after: unknown): string[] {
  const record = (value: unknown) => (value !== null && typeof value === 'object' ? (value as Record<string, string>) : {});
  const [a, b] = [record(before), record(after)];
  const fileOf = (entry: string | undefined) => entry?.replace(/ \S+$/, '');
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((field) => {
    if (a[field] === b[field]) return [];
    const how = a[field] === undefined ? 'added' : b[field] === undefined ? 'removed' : 'changed';
    return [`overlays.${field} file ${fileOf(b[field] ?? a[field])} ${how}`];
  });
}

/** The layer's inputs that changed, files by name. */
function layerChanges(before: unknown, after: unknown): string[] {
  const field = (value: unknown, name: string) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[name] : undefined);
  const without = (value: unknown) => {
    if (value === null || typeof value !== 'object') return value;
    const { files: _files, overlayFiles: _overlayFiles, sources: _sources, ...rest } = value as Record<string, unknown>;
    return rest;
  };
  const files = describeFileChanges(field(before, 'files'), field(after, 'files'));
  return [
    ...changedFields(without(before), without(after)),
    ...describeOverlayFiles(field(before, 'overlayFiles'), field(after, 'overlayFiles')),
    ...(field(before, 'sources') === field(after, 'sources') ? [] : ['McDebian\'s own rootfs/files changed']),
    ...(files ? [`files: ${files}`] : []),
  ];
}

/** One line per stage: reused, or rebuilt and why. */
export function explainStages(previous: StageInputs | undefined, current: StageInputs, cached: Record<keyof StageInputs, boolean>): string[] {
  let earlierChanged = false;
  return (['base', 'layer', 'images'] as const).map((stage) => {
    if (cached[stage]) return `${stage}: reused from the cache (inputs unchanged)`;
    if (!previous) return `${stage}: built (no earlier build of this board is recorded)`;
    // the layer's inputs name the base's key, the images' the layer's: those show as earlierChanged
    const all = stage === 'layer' ? layerChanges(previous.layer, current.layer) : changedFields(previous[stage], current[stage]);
    const changes = all.filter((line) => !line.startsWith('base:') && !line.startsWith('layer:'));
    const line = changes.length > 0 ? `${stage}: rebuilt because ${changes.join('; ')}`
      : earlierChanged ? `${stage}: rebuilt because an earlier stage changed`
      : stage === 'images' ? 'images: made afresh (images are not cached)'
      : `${stage}: rebuilt because its cache entry is missing (inputs unchanged)`;
    earlierChanged ||= changes.length > 0 || stage !== 'images';
    return line;
  });
}
