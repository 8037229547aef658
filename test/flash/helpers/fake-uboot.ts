/**
 * A scripted stand-in for the stock Linksys U-Boot's console, on a unix socket: an autoboot
 * countdown, a `Marvell>> ` prompt that echoes what is typed, and the few commands the TFTP
 * flasher uses (printenv, setenv, mw.b, tftpboot, nand erase/write, saveenv, reset) over an
 * in-memory NAND and environment. tftpboot really fetches from the TFTP server under test. After
 * `reset` it "boots" as the stock bootcmd would: reads the saved slot's read window and checks
 * the uImage's CRCs, so a window too small shows "Bad Data CRC" as on the router.
 */
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { tftpGet } from './tftp-client.js';

export interface FakeUBootOptions {
  env: Record<string, string>;
  nandBytes: number;
  /** Where tftpboot fetches from: serverip, this port. */
  tftpPort: number;
  prompt?: string;
  /** Output that replaces a command's own, by the start of the command line. */
  failOn?: Record<string, string>;
  /** Echo typed characters with this one dropped (a noisy line). */
  dropFromEcho?: string;
  /** Commands (by their start) that never come back to the prompt. */
  hangOn?: string[];
}

export interface FakeUBoot {
  socket: string;
  nand: Buffer;
  /** The environment as last saved with saveenv. */
  saved: Map<string, string>;
  /** Every command line run. */
  commands: string[];
  close(): Promise<void>;
}

const hex = (n: number): string => n.toString(16);

export async function startFakeUBoot(dir: string, options: FakeUBootOptions): Promise<FakeUBoot> {
  const prompt = options.prompt ?? 'Marvell>> ';
  const env = new Map(Object.entries(options.env));
  const fake: FakeUBoot = { socket: join(dir, 'uboot.sock'), nand: Buffer.alloc(options.nandBytes, 0xff), saved: new Map(env), commands: [], close: async () => {} };
  const ram = new Map<number, Buffer>();
  const num = (text: string) => Number.parseInt(text.replace(/^0x/i, ''), 16);
  const region = (address: number, bytes: number) => {
    const existing = ram.get(address);
    if (existing && existing.length >= bytes) return existing;
    const grown = Buffer.alloc(bytes, 0);
    existing?.copy(grown);
    ram.set(address, grown);
    return grown;
  };

  async function execute(line: string): Promise<string> {
    const expanded = line.replace(/\$\{(\w+)\}/g, (_, name: string) => env.get(name) ?? '');
    const [command, ...args] = expanded.split(/\s+/);
    const failure = Object.entries(options.failOn ?? {}).find(([start]) => line.startsWith(start));
    if (failure) return failure[1];
    switch (command) {
      case 'printenv':
        if (args.length === 0) return [...[...env].sort().map(([k, v]) => `${k}=${v}`), '', `Environment size: 999/131068 bytes`].join('\r\n');
        return args.map((name) => (env.has(name) ? `${name}=${env.get(name)}` : `## Error: "${name}" not defined`)).join('\r\n');
      case 'setenv':
        if (args.length === 1) env.delete(args[0]!);
        else env.set(args[0]!, expanded.slice(expanded.indexOf(args[1]!)).replace(/^'(.*)'$/, '$1'));
        return '';
      case 'mw.b':
        region(num(args[0]!), num(args[2]!)).fill(num(args[1]!), 0, num(args[2]!));
        return '';
      case 'tftpboot': {
        const { data } = await tftpGet(env.get('serverip')!, options.tftpPort, args[1]!);
        data.copy(region(num(args[0]!), data.length));
        env.set('filesize', hex(data.length)).set('fileaddr', args[0]!.replace(/^0x/, '')).set('ethact', 'mvneta0');
        return `Using mvneta0 device\r\nLoading: ####\r\ndone\r\nBytes transferred = ${data.length} (${hex(data.length)} hex)`;
      }
      case 'nand':
        if (args[0] === 'erase') {
          fake.nand.fill(0xff, num(args[1]!), num(args[1]!) + num(args[2]!));
          return `\r\nNAND erase: device 0 offset 0x${args[1]}, size 0x${args[2]}\r\nErasing at 0x0 -- 100% complete.\r\nOK`;
        }
        ram.get(num(args[1]!))!.copy(fake.nand, num(args[2]!), 0, num(args[3]!));
        return `\r\nNAND write: device 0 offset ${args[2]}, size ${args[3]}\r\n ${num(args[3]!)} bytes written: OK`;
      case 'saveenv':
        fake.saved = new Map(env);
        return 'Saving Environment to NAND...\r\nErasing Nand...\r\nWriting to Nand... done';
      default:
        return `Unknown command '${command}' - try 'help'`;
    }
  }

  /** What the stock bootcmd shows after a reset: the saved slot's window read and checked. */
  function boot(): string {
    const slot = fake.saved.get('boot_part') === '2' ? 2 : 1;
    const offset = num(fake.saved.get(slot === 1 ? 'priKernAddr' : 'altKernAddr') ?? '0');
    const window = fake.nand.subarray(offset, offset + num(fake.saved.get(slot === 1 ? 'priKernSize' : 'altKernSize') ?? '0'));
    const name = window.toString('latin1', 32, 64).replace(/\0.*$/s, '');
    const size = window.length >= 64 ? window.readUInt32BE(12) : 0;
    const ok = window.length >= 64 + size && crc32(window.subarray(64, 64 + size)) === window.readUInt32BE(24);
    return [
      'resetting ...', '', 'U-Boot 2013.01 (fake)', 'Hit any key to stop autoboot:  0 ',
      '## Booting kernel from Legacy Image at 02000000 ...', `   Image Name:   ${name}`,
      ok ? '   Verifying Checksum ... OK\r\nStarting kernel ...' : '   Verifying Checksum ... Bad Data CRC\r\nERROR: can\'t get kernel image!',
      '',
    ].join('\r\n');
  }

  function serve(socket: Socket): void {
    let stopped = false;
    let line = '';
    let busy = Promise.resolve();
    socket.write('\r\nU-Boot 2013.01 (fake)\r\nHit any key to stop autoboot:  3 ');
    socket.on('data', (data) => {
      for (const char of data.toString('latin1')) {
        busy = busy.then(async () => {
          if (!stopped) {
            stopped = true;
            return void socket.write(`\b\b\b 0 \r\n${prompt}`);
          }
          if (char === '\x03') {
            line = '';
            return void socket.write(`<INTERRUPT>\r\n${prompt}`);
          }
          if (char !== '\r') {
            line += char;
            return void socket.write(char === options.dropFromEcho ? '' : char);
          }
          const command = line;
          line = '';
          if (command === '') return void socket.write(`\r\n${prompt}`);
          fake.commands.push(command);
          if (command === 'reset') return void socket.write(`\r\n${boot()}`);
          if (options.hangOn?.some((start) => command.startsWith(start))) return void socket.write('\r\n');
          const output = await execute(command).catch((error: Error) => `fake U-Boot: ${error.message}`);
          socket.write(`\r\n${output === '' ? '' : `${output}\r\n`}${prompt}`);
        });
      }
    });
    socket.on('error', () => {});
  }

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(fake.socket, resolve));
  fake.close = () => new Promise((resolve) => {
    for (const socket of sockets) socket.destroy();
    server.close(() => resolve());
  });
  return fake;
}
