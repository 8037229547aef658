/** SSH logins from the tests into guests and through tunnels, with the ssh2 library. */
import ssh2 from 'ssh2';

/** Logs in as root on 127.0.0.1:port with the key and runs a command; rejects when that fails. */
export function sshExec(port: number, privateKey: string, command: string, timeoutMs = 30_000): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    const fail = (error: Error) => { clearTimeout(timer); client.end(); reject(error); };
    const timer = setTimeout(() => fail(new Error('ssh timeout')), timeoutMs);
    client.on('ready', () => {
      client.exec(command, (error, stream) => {
        if (error) return fail(error);
        let stdout = '';
        stream.on('data', (data: Buffer) => { stdout += data.toString(); });
        stream.stderr.on('data', () => undefined);
        stream.on('close', (code: number | null) => {
          clearTimeout(timer);
          client.end();
          resolve({ code: code ?? -1, stdout });
        });
      });
    });
    client.on('error', fail);
    client.connect({ host: '127.0.0.1', port, username: 'root', privateKey, readyTimeout: 20_000, hostVerifier: () => true }); // the guest's host key is new on every first boot
  });
}

