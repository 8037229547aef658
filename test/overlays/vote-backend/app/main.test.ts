import test from 'ava';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { closeServer, listen } from '../../../../overlays/runtime/http.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { configJson } from './fixtures.js';

const MAIN = fileURLToPath(new URL('../../../../overlays/vote-backend/app/main.js', import.meta.url));

/** Runs the service's entry point; its exit code and output. */
async function main(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function writeConfig(dir: string, change: Record<string, unknown> = {}): Promise<string> {
  const path = join(dir, 'config.json');
  await writeFile(path, JSON.stringify(configJson(change)));
  return path;
}

test('check says what the service makes of its config', async (t) => {
  const path = await writeConfig(await makeTempDir(t), { workers: 2, listen: { address: '127.0.0.1', port: 9000 } });
  const { code, stdout } = await main(['check', '--config', path]);
  t.is(code, 0);
  t.is(stdout.trim(), `${path}: 2 polls: show (2 choices), always (1 choices); 2 workers on 127.0.0.1:9000; database votes at /run/mysqld/mysqld.sock; batches of up to 10000 votes every 1000 ms`);
});

test('a config it cannot run with ends it with exit code 78 and a message naming the field', async (t) => {
  const path = await writeConfig(await makeTempDir(t), { batch: { intervalMs: 1 } });
  const { code, stderr } = await main(['check', '--config', path]);
  t.is(code, 78);
  t.regex(stderr, new RegExp(`^${path}: batch\\.intervalMs: `));
});

test('an unknown command is a usage error, exit code 64, with the usage', async (t) => {
  const { code, stderr } = await main(['vote', '--config', '/nonexistent']);
  t.is(code, 64);
  t.regex(stderr, /^unknown command: vote \| usage: main\.mjs \[serve\] \[--config PATH\]/);
});

test('health prints the running service\'s /healthz', async (t) => {
  const server = createServer((_req, res) => res.end('{"ok":true,"problems":[]}\n'));
  const { port } = await listen(server, 0, '127.0.0.1');
  t.teardown(() => closeServer(server));
  const path = await writeConfig(await makeTempDir(t), { listen: { address: '127.0.0.1', port } });
  const { code, stdout } = await main(['health', '--config', path]);
  t.is(code, 0);
  t.is(stdout, '{"ok":true,"problems":[]}\n');
});
