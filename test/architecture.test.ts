/**
 * The dependency rules of ARCHITECTURE.md, enforced: reads every source file's imports (with
 * TypeScript's own pre-processor, so type-only and re-exports count too) and fails naming the
 * file, the import and the rule it breaks; and finds import circles.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A layer: which files it holds and which of our folders they may import. */
interface Rule {
  name: string;
  holds: (file: string) => boolean;
  /** Our folders (prefixes) the layer may import; a function of the importing file for per-overlay rules. */
  mayImport: (file: string) => readonly string[];
}

/** overlays/<name>/... -> <name>, undefined for the framework files at the top of overlays/. */
const overlayOf = (file: string) => /^overlays\/([^/]+)\//.exec(file)?.[1];

export const RULES: readonly Rule[] = [
  { name: 'build/core imports nothing of ours outside build/core', holds: (f) => f.startsWith('build/core/'), mayImport: () => ['build/core/'] },
  { name: 'boards import only board/, build/core and the device runtime', holds: (f) => f.startsWith('board/'), mayImport: () => ['board/', 'build/core/', 'overlays/runtime/'] },
  { name: 'rootfs/ imports only rootfs/, board/, build/core and the device runtime', holds: (f) => f.startsWith('rootfs/'), mayImport: () => ['rootfs/', 'board/', 'build/core/', 'overlays/runtime/'] },
  { name: 'flash/ imports only flash/, board/, build/core and the device runtime', holds: (f) => f.startsWith('flash/'), mayImport: () => ['flash/', 'board/', 'build/core/', 'overlays/runtime/'] },
  {
    name: 'the device runtime (overlays/runtime) imports nothing of ours outside it',
    holds: (f) => f.startsWith('overlays/runtime/'),
    mayImport: () => ['overlays/runtime/'],
  },
  {
    name: 'device code (overlays/<name>/app) imports only its own app and the device runtime',
    holds: (f) => /^overlays\/[^/]+\/app\//.test(f),
    mayImport: (f) => [`overlays/${overlayOf(f)}/app/`, 'overlays/runtime/'],
  },
  {
    name: 'an overlay imports the overlay framework, its own folder, the device runtime, board/, rootfs/ and build/core; never build/, flash/ or another overlay',
    holds: (f) => overlayOf(f) !== undefined && !/^overlays\/[^/]+\/app\//.test(f) && !f.startsWith('overlays/runtime/'),
    mayImport: (f) => [`overlays/${overlayOf(f)}/`, 'overlays/runtime/', 'board/', 'rootfs/', 'build/core/', ...FRAMEWORK],
  },
  {
    name: 'the overlay framework (the files at the top of overlays/) imports overlays, board/, rootfs/ and build/core; never build/ or flash/',
    holds: (f) => /^overlays\/[^/]+\.ts$/.test(f),
    mayImport: () => ['overlays/', 'board/', 'rootfs/', 'build/core/'],
  },
  { name: 'build/ imports anything but test/', holds: (f) => f.startsWith('build/') && !f.startsWith('build/core/'), mayImport: () => ['build/', 'board/', 'rootfs/', 'flash/', 'overlays/'] },
];

/** The framework files an overlay may import (everything at the top of overlays/ but the registry). */
const FRAMEWORK = ['overlays/overlay.ts', 'overlays/render.ts', 'overlays/resolve.ts', 'overlays/bundle.ts', 'overlays/hardening.ts', 'overlays/unit-state.ts'];

/** Source files (not tests), relative to the root. */
async function sourceFiles(): Promise<string[]> {
  const { stdout } = await execa('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.ts'], { cwd: ROOT });
  return stdout.split('\n').filter((file) => file !== '' && !file.startsWith('test/') && !file.endsWith('.d.ts'));
}

/** Our files a source file imports (relative imports resolved to .ts paths). */
export function importsOf(file: string, text: string): string[] {
  const { importedFiles } = ts.preProcessFile(text, true, true);
  return importedFiles
    .map(({ fileName }) => fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(ROOT, join(ROOT, dirname(file), name)).replace(/\.js$/, '.ts'));
}

/** Every broken rule: "file imports target: rule". */
export function checkRules(graph: ReadonlyMap<string, readonly string[]>, rules: readonly Rule[] = RULES): string[] {
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const rule = rules.find((candidate) => candidate.holds(file));
    if (!rule) {
      problems.push(`${file} is in no layer: add it to a rule in test/architecture.test.ts and ARCHITECTURE.md`);
      continue;
    }
    for (const target of targets) {
      if (target.startsWith('test/')) problems.push(`${file} imports ${target}: nothing outside test/ imports tests`);
      else if (!rule.mayImport(file).some((prefix) => target === prefix || target.startsWith(prefix))) problems.push(`${file} imports ${target}: ${rule.name}`);
    }
  }
  return problems;
}

/** Import circles, each as a path of files back to its start. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === 'open') cycles.push([...stack.slice(stack.indexOf(target)), target]);
      else if (!state.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

async function importGraph(): Promise<Map<string, string[]>> {
  const files = await sourceFiles();
  const graph = new Map<string, string[]>();
  for (const file of files) graph.set(file, importsOf(file, await readFile(join(ROOT, file), 'utf8')));
  return graph;
}

test('every source file keeps to the dependency rules of its layer', async (t) => {
  const problems = checkRules(await importGraph());
  t.deepEqual(problems, [], `\n${problems.join('\n')}`);
});

test('no source files import each other in a circle', async (t) => {
  const cycles = findCycles(await importGraph());
  t.deepEqual(cycles.map((cycle) => cycle.join(' -> ')), []);
});

test('the rules name the file, the import and the rule it breaks', (t) => {
  const graph = new Map([
    ['overlays/smpp-relay/app/settings.ts', ['build/core/suggest.ts', 'overlays/runtime/suggest.ts']],
    ['flash/tftp-commands.ts', ['build/stand-in.ts']],
    ['overlays/callhome/render.ts', ['overlays/dns-blacklist/named.ts', 'overlays/overlay.ts']],
  ]);
  t.deepEqual(checkRules(graph), [
    'overlays/smpp-relay/app/settings.ts imports build/core/suggest.ts: device code (overlays/<name>/app) imports only its own app and the device runtime',
    'flash/tftp-commands.ts imports build/stand-in.ts: flash/ imports only flash/, board/, build/core and the device runtime',
    'overlays/callhome/render.ts imports overlays/dns-blacklist/named.ts: an overlay imports the overlay framework, its own folder, the device runtime, board/, rootfs/ and build/core; never build/, flash/ or another overlay',
  ]);
});

test('an import circle is found with its path', (t) => {
  const graph = new Map([
    ['overlays/callhome/overlay.ts', ['overlays/callhome/render.ts']],
    ['overlays/callhome/render.ts', ['overlays/callhome/overlay.ts']],
  ]);
  t.deepEqual(findCycles(graph), [['overlays/callhome/overlay.ts', 'overlays/callhome/render.ts', 'overlays/callhome/overlay.ts']]);
});

test('imports are read by TypeScript: type-only imports and re-exports count', (t) => {
  const text = "import type { Board } from '../../board/board.js';\nexport { x } from './x.js';\nimport z from 'zod';\n";
  t.deepEqual(importsOf('overlays/callhome/render.ts', text), ['board/board.ts', 'overlays/callhome/x.ts']);
});
