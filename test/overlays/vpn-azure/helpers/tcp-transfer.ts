/** A TCP transfer between two namespaces' private addresses, with what was sent and what arrived. */
import { fileURLToPath } from 'node:url';
import { exec, spawnIn } from './netns.js';
import { waitFor } from './wait.js';

const PEER = fileURLToPath(new URL('./tcp-transfer-peer.js', import.meta.url));

/** Bytes and SHA-256 of one side's data. */
export interface Digest {
  bytes: number;
  sha256: string;
}

const lastJson = (text: string) => JSON.parse(text.trim().split('\n').at(-1) ?? '{}') as Digest;

/** Sends `bytes` random bytes from `from.address` in `from.ns` to a sink on `to.address` in `to.ns`. */
export async function transferTcp(options: { from: { ns: string; address: string }; to: { ns: string; address: string }; bytes: number; port?: number; timeoutMs?: number }): Promise<{ sent: Digest; received: Digest }> {
  const port = String(options.port ?? 5201);
  const sink = spawnIn(options.to.ns, [process.execPath, PEER, 'sink', options.to.address, port], { timeout: options.timeoutMs ?? 120_000 });
  let output = '';
  sink.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(() => {
    if (sink.exitCode !== null) throw new Error(`the TCP sink exited: ${output}`);
    return output.includes('listening');
  }, { what: `the TCP sink on ${options.to.address}:${port}` });
  const source = await exec(options.from.ns, [process.execPath, PEER, 'source', options.to.address, port, String(options.bytes), options.from.address], { timeout: options.timeoutMs ?? 120_000 });
  await sink;
  return { sent: lastJson(String(source.stdout)), received: lastJson(output) };
}
