/**
 * kannel.conf text for tests: one config that Kannel (bearerbox, smsbox) and the relay both
 * run, with free ports. Values are written as given; groups are lists of `key = value` pairs.
 */
import { freePort } from '../../../helpers/guest.js';

export type Group = Record<string, string | number | boolean>;

export interface ConfSpec {
  core?: Group;
  smsbox?: Group;
  smsc: Group[];
  users: Group[];
}

export interface TestConf {
  text: string;
  ports: { admin: number; smsbox: number; sendsms: number };
  password: string;
}

function group(name: string, entries: Group): string {
  const lines = Object.entries(entries).map(([key, value]) => `${key} = ${typeof value === 'string' ? `"${value}"` : String(value)}`);
  return [`group = ${name}`, ...lines, ''].join('\n');
}

/** A whole kannel.conf: core and smsbox with free ports, then the links and the accounts. */
export async function testConf(spec: ConfSpec): Promise<TestConf> {
  const ports = { admin: await freePort(), smsbox: await freePort(), sendsms: await freePort() };
  const password = 'status-secret';
  const text = [
    group('core', { 'admin-port': ports.admin, 'admin-password': password, 'smsbox-port': ports.smsbox, 'sms-resend-freq': 2, ...spec.core }),
    group('smsbox', { 'bearerbox-host': '127.0.0.1', 'sendsms-port': ports.sendsms, 'global-sender': '12345', ...spec.smsbox }),
    ...spec.smsc.map((link) => group('smsc', { smsc: 'smpp', host: '127.0.0.1', 'system-type': '', 'reconnect-delay': 1, ...link })),
    ...spec.users.map((user) => group('sendsms-user', user)),
  ].join('\n');
  return { text, ports, password };
}
