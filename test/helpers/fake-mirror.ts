/**
 * A Debian mirror on loopback for tests: real .deb files built with dpkg-deb, a Packages.gz
 * index, served over HTTP with a count of the bytes each response sent.
 */
import { createReadStream } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';

/** One request the fake mirror answered: how many bytes it sent, and whether the response completed. */
export interface ServedRequest {
  path: string;
  bytes: number;
  completed: boolean;
  closed: Promise<void>;
}

export interface FakeMirror {
  url: string;
  root: string;
  requests: ServedRequest[];
  server: Server;
}

/** Bytes the mirror sends under /truncate/ before it drops the connection. */
export const TRUNCATE_AT = 2_000_000;

/**
 * Serves `root` over HTTP on loopback, counting the bytes of each response. Under /hang/ nothing
 * is answered; under /truncate/ files larger than TRUNCATE_AT are cut off there.
 */
export async function serveMirror(root: string): Promise<FakeMirror> {
  const requests: ServedRequest[] = [];
  const server = createServer((request, response) => {
    let path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://loopback').pathname));
    if (path.includes('/hang/')) return;
    const truncate = path.includes('/truncate/');
    path = path.replace('/truncate/', '/');
    let resolveClosed = (): void => {};
    const record: ServedRequest = { path, bytes: 0, completed: false, closed: new Promise((resolve) => (resolveClosed = resolve)) };
    requests.push(record);
    response.on('close', () => {
      record.completed = response.writableFinished;
      resolveClosed();
    });
    stat(join(root, path)).then(
      (info) => {
        response.writeHead(200, { 'content-length': info.size });
        const end = truncate && info.size > TRUNCATE_AT ? TRUNCATE_AT - 1 : undefined;
        const file = createReadStream(join(root, path), { end }).on('data', (chunk) => (record.bytes += chunk.length));
        if (end === undefined) file.pipe(response);
        else file.on('data', (chunk) => response.write(chunk)).on('end', () => response.destroy());
      },
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`, root, requests, server };
}


/** Stops the server and drops its connections. */
export async function stopMirror(mirror: FakeMirror): Promise<void> {
  mirror.server.closeAllConnections();
  await new Promise((resolve) => mirror.server.close(resolve));
}

/** Builds a .deb from { path: contents } (DEBIAN/control included) with the real dpkg-deb. */
export async function buildDeb(root: string, output: string, files: Record<string, Buffer>, compression = 'xz'): Promise<void> {
  for (const [path, data] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), data);
  }
  await mkdir(dirname(output), { recursive: true });
  // -z0 keeps xz fast on large random data; the container format is what is under test.
  await execa('dpkg-deb', ['--root-owner-group', '-z0', `-Z${compression}`, '--build', root, output]);
}

/**
 * Writes `<root>/<archive>/dists/<suite>/main/binary-<arch>/Packages.gz` (archive `debian` unless
 * given), or Packages.xz with the real xz, as Debian's -updates and -security suites have only that.
 */
export async function publishIndex(root: string, options: { suite: string; arch: string; index: string; archive?: string; compression?: 'gz' | 'xz' }): Promise<void> {
  const dir = join(root, `${options.archive ?? 'debian'}/dists/${options.suite}/main/binary-${options.arch}`);
  await mkdir(dir, { recursive: true });
  if (options.compression === 'xz') await execa('xz', ['--compress', '--stdout'], { input: options.index, encoding: 'buffer' }).then(({ stdout }) => writeFile(join(dir, 'Packages.xz'), stdout));
  else await writeFile(join(dir, 'Packages.gz'), gzipSync(options.index));
}
