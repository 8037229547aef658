/**
 * SmppLink over TLS against the simulator, with a CA and certificates `openssl` makes in the
 * test's directory: a certificate that chains to the given CA and names the host is taken; a
 * self-signed one, one from a CA not given, and one for another host name are refused, each
 * with a logged reason, and the link keeps trying.
 */
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { testWithTools } from '../../../helpers/tools.js';
import { makeTempDir } from '../../../helpers/temp-dir.js';
import { hasLine, reach, setUp } from './smpp-link-fixtures.js';

const OPENSSL = { openssl: 'openssl' };
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

interface Pem {
  key: string;
  cert: string;
}

/** A CA, and a server certificate it signs for these subjectAltNames. */
async function makeCertificates(t: ExecutionContext, altNames: string): Promise<{ ca: Pem; server: Pem }> {
  const dir = await makeTempDir(t, 'mcdebian-smpp-tls-');
  const at = (name: string) => join(dir, name);
  await execa('openssl', ['req', '-x509', ...EC, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-days', '2', '-subj', '/CN=McDebian test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await execa('openssl', ['req', ...EC, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=smsc']);
  await writeFile(at('ext.cnf'), `subjectAltName=${altNames}\n`);
  await execa('openssl', ['x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
    '-out', at('server.pem'), '-days', '2', '-extfile', at('ext.cnf')]);
  const read = (name: string) => readFile(at(name), 'utf8');
  return { ca: { key: await read('ca.key'), cert: await read('ca.pem') }, server: { key: await read('server.key'), cert: await read('server.pem') } };
}

/** A self-signed server certificate for 127.0.0.1. */
async function makeSelfSigned(t: ExecutionContext): Promise<Pem> {
  const dir = await makeTempDir(t, 'mcdebian-smpp-tls-');
  await execa('openssl', ['req', '-x509', ...EC, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=smsc',
    '-addext', 'subjectAltName=IP:127.0.0.1']);
  return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
}

testWithTools(OPENSSL, 'binds over TLS when the certificate chains to the given CA and names the host', async (t) => {
  const { ca, server } = await makeCertificates(t, 'IP:127.0.0.1,DNS:localhost');
  const { sim, link } = await setUp(t, { settings: { tls: true }, simulator: { tls: server }, link: { tls: { ca: ca.cert } } });
  await reach(link, 'bound');
  t.like(sim.binds[0], { bindType: 'transmitter', status: 0 });
});

testWithTools(OPENSSL, 'refuses a self-signed certificate, saying why, and keeps trying', async (t) => {
  const { link, log } = await setUp(t, { settings: { tls: true }, simulator: { tls: await makeSelfSigned(t) } });
  await reach(link, 'reconnecting');
  t.true(hasLine(log, 'error: SMPP[upstream]: cannot bind to 127.0.0.1:'));
  t.true(hasLine(log, 'refused (DEPTH_ZERO_SELF_SIGNED_CERT'));
  await reach(link, 'connecting');
  t.true(link.counters.reconnects >= 1);
});

testWithTools(OPENSSL, 'refuses a certificate from a CA it was not given (Node\'s bundled CAs)', async (t) => {
  const { server } = await makeCertificates(t, 'IP:127.0.0.1');
  const { link, log } = await setUp(t, { settings: { tls: true }, simulator: { tls: server } });
  await reach(link, 'reconnecting');
  t.true(hasLine(log, 'refused (UNABLE_TO_VERIFY_LEAF_SIGNATURE'));
  t.regex(link.counters.lastError?.text ?? '', /ssl-trusted-ca-file/);
});

testWithTools(OPENSSL, 'refuses a certificate for another host name, even from the given CA', async (t) => {
  const { ca, server } = await makeCertificates(t, 'DNS:smsc.example');
  const { sim, link, log } = await setUp(t, { settings: { tls: true }, simulator: { tls: server }, link: { tls: { ca: ca.cert } } });
  await reach(link, 'reconnecting');
  t.true(hasLine(log, 'refused (ERR_TLS_CERT_ALTNAME_INVALID'));
  t.is(sim.binds.length, 0);
});
