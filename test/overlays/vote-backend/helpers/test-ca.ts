/**
 * A certificate authority made with openssl for one test, and a server certificate it signs for
 * 127.0.0.1 (subjectAltName IP and localhost, serverAuth), as a remote MariaDB (RDS or any
 * other) would present: what the vote service's tls.caFile verifies. P-256 keys: quick to make.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

export interface TestCa {
  /** The CA's certificate (PEM): what a client trusts. */
  caFile: string;
  keyFile: string;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA in `dir` with files `name`.pem and `name`.key. */
export async function makeCa(dir: string, name: string): Promise<TestCa> {
  const caFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  await execa('openssl', [
    'req', '-x509', ...EC_KEY, '-keyout', keyFile, '-out', caFile, '-days', '2', '-subj', `/CN=${name} test CA`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { caFile, keyFile };
}

/** A server key and certificate for 127.0.0.1 signed by `ca`, in `dir` as `name`.pem and `name`.key. */
export async function makeServerCertificate(dir: string, ca: TestCa, name: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, `${name}.pem`);
  const keyFile = join(dir, `${name}.key`);
  const request = join(dir, `${name}.csr`);
  const extensions = join(dir, `${name}.ext`);
  await writeFile(extensions, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  await execa('openssl', ['req', ...EC_KEY, '-keyout', keyFile, '-out', request, '-subj', '/CN=127.0.0.1']);
  await execa('openssl', ['x509', '-req', '-in', request, '-CA', ca.caFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', extensions]);
  return { certFile, keyFile };
}
