/**
 * Commands to QEMU's human monitor on a unix socket (`-monitor unix:PATH,server=on`): it greets
 * with a banner and the "(qemu) " prompt, and prompts again when a command is done. `quit`
 * ends QEMU, and with it the connection, instead.
 */
import { connect } from 'node:net';
import { UserError } from './core/errors.js';

const PROMPT = '(qemu) ';

/** Sends one command and returns what QEMU printed for it (empty for system_powerdown). */
export async function sendMonitorCommand(socketPath: string, command: string, options: { timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let received = '';
    let sent = false;
    const settle = (error?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(received.slice(received.indexOf('\n') + 1).replace(PROMPT, '').trim());
    };
    const timer = setTimeout(() => settle(new UserError(`QEMU's monitor at ${socketPath} did not answer "${command}" within ${options.timeoutMs / 1000} s`)), options.timeoutMs);
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
      if (!sent && received.includes(PROMPT)) {
        sent = true;
        received = '';
        socket.write(`${command}\n`);
      } else if (sent && received.includes(PROMPT)) {
        settle();
      }
    });
    socket.on('error', (error) => settle(new UserError(`cannot reach QEMU's monitor at ${socketPath}: ${error.message}`)));
    socket.on('close', () => (sent ? settle() : settle(new UserError(`QEMU's monitor at ${socketPath} closed before its prompt`))));
  });
}
