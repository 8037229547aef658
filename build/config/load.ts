/**
 * Loads mcdebian.yaml: YAML with source positions, the strict schema, then what the schema cannot
 * check (the board exists, overlays exist, key files exist and hold public keys). Every problem is
 * collected and reported at once, each with file, line, field path and fix: the parts are checked
 * apart (sections.ts), so a typo in one does not hide the checks of another. Files an overlay
 * generates are made only after every check has passed, so a refused config writes nothing.
 */
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Board } from '../../board/board.js';
import { boardIds, boards, getBoard } from '../../board/index.js';
import { UserError } from '../core/errors.js';
import { didYouMean } from '../../overlays/runtime/suggest.js';
import { ConfigError, describeIssue, formatPath, lineOf, type ConfigIssue, type FieldPath } from './issues.js';
import type { Overlay, ResolvedOverlay } from '../../overlays/overlay.js';
import { overlays as registry } from '../../overlays/index.js';
import { resolveOverlays } from '../../overlays/resolve.js';
import { settlePendingFiles } from '../../overlays/pending-files.js';
import type { ConfigFile } from './schema.js';
import { checkOverlaySections, checkTopLevel, fieldOf, type SchemaReport } from './sections.js';
import { readUserFiles } from './user-files.js';
import { describeYamlErrors } from './yaml-syntax.js';
import type { LayerFile } from '../../rootfs/configure.js';

/** One public key from a file the config names. */
export interface AuthorizedKey {
  /** Absolute path of the file. */
  file: string;
  /** The key line, e.g. `ssh-ed25519 AAAA... comment`. */
  key: string;
}

/** A user with the keys read from their files. */
export interface ResolvedUser {
  name: string;
  authorizedKeys: AuthorizedKey[];
}

/** The config ready for planning: defaults filled, board resolved, key files read. */
export interface Config extends Omit<ConfigFile, 'board' | 'users'> {
  board: Board;
  users: ResolvedUser[];
  /** The overlays the config enables, their config checked and their files read. */
  resolvedOverlays: ResolvedOverlay[];
  /** The entries of the user's `files:` tree, as layer entries (none without one). */
  userFiles: LayerFile[];
  /** Absolute path of mcdebian.yaml, when one was given. */
  file?: string;
  /** Directory relative paths in the config are resolved against. */
  dir: string;
}

export interface LoadConfigOptions {
  /** Path of mcdebian.yaml; without one, every field takes its default. */
  file?: string;
  /** `--board`, which must agree with the file's `board` when both are given. */
  board?: string;
  /** Directory for relative paths when there is no file. */
  cwd?: string;
  /** The overlays `overlays:` accepts; McDebian's registry by default. */
  overlays?: readonly Overlay[];
  /** Make the files overlays generate when missing (a tunnel key pair), once every check has passed: `build` does, `plan` does not. */
  generateSecrets?: boolean;
}

interface Source {
  name: string;
  doc?: Document;
  counter: LineCounter;
}

/** Reads, validates and resolves the config; throws ConfigError listing every problem. */
export async function loadConfig(options: LoadConfigOptions): Promise<Config> {
  const file = options.file === undefined ? undefined : resolve(options.cwd ?? process.cwd(), options.file);
  const source: Source = { name: options.file ?? '(defaults)', counter: new LineCounter() };
  const raw = file === undefined ? {} : await parseYaml(file, source);
  const issues: ConfigIssue[] = [];
  const at = (path: FieldPath, message: string) => issues.push({ path: formatPath(path), line: lineFor(source, path), message });
  const reportSchema: SchemaReport = (found, schema, prefix) => {
    for (const issue of found) {
      const path = [...prefix, ...issue.path];
      issues.push(...describeIssue(issue, schema, prefix).map((described) => ({ ...described, line: lineFor(source, path, issue) })));
    }
  };
  const overlays = options.overlays ?? registry;
  const board = resolveBoard(typeof raw.board === 'string' ? raw.board : undefined, options.board, at);
  const top = checkTopLevel(raw, overlays, reportSchema);
  // the checks below run on the parts that parse, whatever else failed: every error at once
  const dir = file === undefined ? resolve(options.cwd ?? process.cwd()) : dirname(file);
  const users = await Promise.all((fieldOf(raw, 'users') ?? []).map((user, index) => readUserKeys(user, index, dir, at)));
  const tree = fieldOf(raw, 'files');
  const userFiles = tree === undefined ? { files: [], issues: [] } : await readUserFiles(resolve(dir, tree));
  for (const issue of userFiles.issues) at(['files'], issue);
  const names = { configName: configNameOf(file), hostname: fieldOf(raw, 'hostname') ?? 'mcdebian' };
  const resolved = await resolveOverlays(checkOverlaySections(raw, overlays, reportSchema), overlays, { ...names, board, dir, report: at });
  if (issues.length > 0 || top === undefined || board === undefined) throw new ConfigError(source.name, sortByLine(issues));
  // only now, with every check passed: a refused config leaves nothing behind
  const resolvedOverlays = options.generateSecrets !== true ? resolved : await settlePendingFiles(resolved, {
    ...names, dir, previousOutputs: (overlay) => resolve(dir, top.output, board.id, overlay),
  });
  return { ...top, board, users, resolvedOverlays, userFiles: userFiles.files, file, dir };
}

/** The config file's name without .yaml/.yml: what generated files are kept under (see FilesContext). */
export function configNameOf(file: string | undefined): string {
  return (file === undefined ? '' : basename(file).replace(/\.ya?ml$/i, '')) || 'mcdebian';
}

/** By line, and fields on one line (a flow mapping) by path: the order the file is read in. */
function sortByLine(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.toSorted((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || a.path.localeCompare(b.path));
}

async function parseYaml(file: string, source: Source): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read config file ${source.name}: ${code === 'ENOENT' ? 'no such file' : String(error)}`, {
      hint: 'check the path given with -c/--config',
    });
  }
  source.doc = parseDocument(text, { lineCounter: source.counter, prettyErrors: false, uniqueKeys: true });
  if (source.doc.errors.length > 0) {
    throw new ConfigError(source.name, describeYamlErrors(text, source.doc.errors, source.counter),
      'fix the YAML syntax at the line and column shown; the fields are checked once the file parses');
  }
  const value: unknown = source.doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(source.name, [{ path: '', line: 1, message: 'the file must be a YAML mapping of keys such as board:, hostname:' }]);
  }
  return value as Record<string, unknown>;
}

function lineFor(source: Source, path: FieldPath, issue?: { code: string; keys?: string[] }): number | undefined {
  if (!source.doc) return undefined;
  const key = issue?.code === 'unrecognized_keys' ? issue.keys?.[0] : undefined;
  return lineOf(source.doc, source.counter, path, key) ?? lineOf(source.doc, source.counter, path.slice(0, -1), String(path.at(-1)));
}

function resolveBoard(fromFile: string | undefined, fromFlag: string | undefined, at: (path: FieldPath, message: string) => void): Board | undefined {
  if (fromFile !== undefined && fromFlag !== undefined && fromFile !== fromFlag) {
    at(['board'], `is "${fromFile}" but --board says "${fromFlag}": make them agree or drop one`);
    return undefined;
  }
  if (fromFlag !== undefined) return getBoard(fromFlag); // a bad flag is not a config problem
  const id = fromFile;
  if (id === undefined) {
    at(['board'], `is required: pass --board ID or set board: in the file (one of ${boardIds.join(', ')})`);
    return undefined;
  }
  const board = boards.find((candidate) => candidate.id === id);
  if (!board) at(['board'], `unknown board "${id}"${didYouMean(id, boardIds)}; choose one of ${boardIds.join(', ')}`);
  return board;
}

const PUBLIC_KEY = /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

async function readUserKeys(
  user: { name: string; authorizedKeys: string[] },
  index: number,
  dir: string,
  at: (path: FieldPath, message: string) => void,
): Promise<ResolvedUser> {
  const keys: AuthorizedKey[] = [];
  for (const [keyIndex, relative] of user.authorizedKeys.entries()) {
    const path: FieldPath = ['users', index, 'authorizedKeys', keyIndex];
    const file = resolve(dir, relative);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      at(path, `key file ${relative} not found (looked for ${file}); create it with ssh-keygen -t ed25519 or fix the path`);
      continue;
    }
    const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
    if (text.includes('PRIVATE KEY')) at(path, `${relative} is a private key; name the public key file (.pub) instead`);
    else if (lines.length === 0) at(path, `${relative} holds no public key`);
    else if (lines.some((line) => !PUBLIC_KEY.test(line))) at(path, `${relative} has a line that is not an OpenSSH public key`);
    else keys.push(...lines.map((key) => ({ file, key })));
  }
  return { name: user.name, authorizedKeys: keys };
}
