/**
 * An SSH server on the loopback (ssh2's Server) that lets in only the public keys it is given,
 * records the keys each login offered, and answers every command with what it is told. For
 * the login tests of flash/device-session.ts: which keys are offered, in which order, and what
 * is said when none is let in.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2, { type ParsedKey } from 'ssh2';
import { sshKeyPair } from './ssh-key-pair.js';

export interface FakeSshServer {
  port: number;
  /** A known_hosts line for the server's host key. */
  knownHostsLine: string;
  /** Known_hosts lines for each host key, by type: ed25519, ecdsa, rsa. */
  knownHostsLines: Record<string, string>;
  /** The host key's public blob, base64 (what DeviceSession pins). */
  hostKeyBase64: string;
  /** The public keys offered, as "type base64", in the order they came (a key asked twice counts once a login). */
  offered: string[];
  close(): Promise<void>;
}

export interface FakeSshServerOptions {
  /** Public keys ("ssh-ed25519 AAAA... comment") that may log in. */
  authorizedKeys: string[];
  /** What a command returns (given the command): exit 1 "not a McDebian device" unless said. */
  exec?: ExecReply | ((command: string) => ExecReply);
  /** Host keys besides the ed25519 one, as an sshd with several offers them all. */
  moreHostKeys?: ('ecdsa' | 'rsa')[];
}

export interface ExecReply {
  code: number;
  stdout?: string;
  stderr?: string;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startFakeSshServer(options: FakeSshServerOptions): Promise<FakeSshServer> {
  const hostKey = sshKeyPair('ed25519');
  const more = (options.moreHostKeys ?? []).map((type) => ({ type, pair: type === 'rsa' ? sshKeyPair('rsa', 2048) : sshKeyPair('ecdsa', 256) }));
  const allowed = options.authorizedKeys.map((line) => ssh2.utils.parseKey(line) as ParsedKey);
  const offered: string[] = [];
  const answer = (command: string): ExecReply => {
    if (typeof options.exec === 'function') return options.exec(command);
    return options.exec ?? { code: 1, stderr: 'not a McDebian device' };
  };
  const server = new ssh2.Server({ hostKeys: [hostKey.private, ...more.map((key) => key.pair.private)] }, (client) => {
    client.on('authentication', (context) => {
      if (context.method !== 'publickey') return context.reject(['publickey']);
      const key = `${context.key.algo} ${context.key.data.toString('base64')}`;
      if (!context.signature) offered.push(key); // the first, unsigned, query of each key
      const match = allowed.find((candidate) => candidate.type === context.key.algo && sameBytes(candidate.getPublicSSH(), context.key.data));
      if (!match) return context.reject(['publickey']);
      if (context.signature && match.verify(context.blob!, context.signature, context.hashAlgo) !== true) return context.reject(['publickey']);
      context.accept();
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('sftp', (acceptSftp) => { acceptSftp(); }); // ssh2-sftp-client opens it on login; no test reads files
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          const reply = answer(info.command);
          if (reply.stdout) stream.write(reply.stdout);
          if (reply.stderr) stream.stderr.write(reply.stderr);
          stream.exit(reply.code);
          stream.end();
        });
      });
    });
    client.on('error', () => undefined); // a client that gives up mid-login
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const lineOf = (publicKey: string) => `[127.0.0.1]:${port} ${publicKey.trim().split(' ').slice(0, 2).join(' ')}\n`;
  const publicLine = hostKey.public.trim().split(' ').slice(0, 2).join(' ');
  return {
    port,
    knownHostsLine: lineOf(hostKey.public),
    knownHostsLines: Object.fromEntries([['ed25519', lineOf(hostKey.public)], ...more.map((key) => [key.type, lineOf(key.pair.public)])]),
    hostKeyBase64: publicLine.split(' ')[1]!,
    offered,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
