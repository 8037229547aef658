import test from 'ava';
import { checkVpnAzure } from '../../../overlays/vpn-azure/checks.js';
import { connection, parse, pskFiles } from './fixtures.js';

const issuesOf = (value: Record<string, unknown>, psk?: string) => {
  const config = parse(value);
  return checkVpnAzure(config, pskFiles(config, psk)).map((issue) => ({ field: issue.field.join('.'), message: issue.message }));
};

test('a custom ECP384 policy with disjoint subnets has no issues', (t) => {
  t.deepEqual(issuesOf({ connections: [connection()] }), []);
});

test('Azure\'s default policy needs DH group 2: refused unless asked for, naming the custom policy to set instead', (t) => {
  const issues = issuesOf({ connections: [connection({ policy: { preset: 'azure-default' } })] });
  t.is(issues.length, 1);
  t.is(issues[0]!.field, 'connections.0.policy.allowDhGroup2');
  t.regex(issues[0]!.message, /GCMAES256.*ECP384.*azure-custom/);
  t.deepEqual(issuesOf({ connections: [connection({ policy: { preset: 'azure-default', allowDhGroup2: true } })] }), []);
});

test('a proposal Azure rejects under the preset is an error naming the field and what Azure accepts', (t) => {
  const issues = issuesOf({ connections: [connection({ policy: { preset: 'azure-custom', custom: { ikeEncryption: 'GCMAES256', ikeIntegrity: 'SHA384', dhGroup: 'ECP384', ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'GCMAES256', pfsGroup: 'ECP384' }, ikeProposals: ['aes256-sha256-ecp256'] } })] });
  t.deepEqual(issues.map((issue) => issue.field), ['connections.0.policy.ikeProposals.0']);
  t.regex(issues[0]!.message, /Azure rejects it under azure-custom, which accepts aes256gcm16-prfsha384-ecp384/);
});

test('explicit proposals inside Azure\'s default offers pass; one outside them fails', (t) => {
  t.deepEqual(issuesOf({ connections: [connection({ policy: { preset: 'azure-default', allowDhGroup2: true, espProposals: ['aes256-sha1'] } })] }), []);
  const issues = issuesOf({ connections: [connection({ policy: { preset: 'azure-default', allowDhGroup2: true, espProposals: ['aes128gcm16'] } })] });
  t.deepEqual(issues.map((issue) => issue.field), ['connections.0.policy.espProposals.0']);
});

test('subnets must be networks, not overlap each other, and a VNet prefix must not be a local network', (t) => {
  const fields = issuesOf({ connections: [connection({ localSubnets: ['192.168.1.7/24', '192.168.0.0/16'], remoteSubnets: ['192.168.5.0/24'] })] }).map((issue) => issue.field);
  t.true(fields.includes('connections.0.localSubnets.0'));
  t.true(fields.includes('connections.0.localSubnets.1'));
  t.true(fields.includes('connections.0.remoteSubnets.0'));
});

test('two connections whose VNet prefixes overlap, or that share a name or a gateway, are refused', (t) => {
  const fields = issuesOf({ connections: [connection(), connection({ gateways: ['203.0.113.10'], remoteSubnets: ['10.20.5.0/24'], psk: 'keys/b.psk' })] }).map((issue) => issue.field);
  t.deepEqual(fields.sort(), ['connections.1.gateways.0', 'connections.1.name', 'connections.1.remoteSubnets.0']);
});

test('a Basic PolicyBased gateway needs mode policy-based; two gateways cannot be policy-based', (t) => {
  const basic = issuesOf({ connections: [connection({ policy: { preset: 'azure-policy-based', allowDhGroup2: true } })] });
  t.deepEqual(basic.map((issue) => issue.field), ['mode']);
  const pair = issuesOf({ mode: 'policy-based', connections: [connection({ gateways: ['203.0.113.10', '203.0.113.11'] })] });
  t.deepEqual(pair.map((issue) => issue.field), ['connections.0.gateways']);
});

test('a custom policy with GCM for IPsec needs the same GCM as integrity', (t) => {
  const issues = issuesOf({ connections: [connection({ policy: { preset: 'azure-custom', custom: { ikeEncryption: 'GCMAES256', ikeIntegrity: 'SHA384', dhGroup: 'ECP384', ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'SHA256', pfsGroup: 'ECP384' } } })] });
  t.true(issues.some((issue) => issue.field === 'connections.0.policy.custom.ipsecIntegrity'));
});

const badKey = test.macro((t, content: string, message: RegExp) => {
  const issues = issuesOf({ connections: [connection()] }, content);
  t.deepEqual(issues.map((issue) => issue.field), ['connections.0.psk']);
  t.regex(issues[0]!.message, message);
});
test('an empty shared key file is refused', badKey, '\n', /is empty/);
test('a shared key file of two lines is refused', badKey, 'one\ntwo\n', /more than one line/);
test('a shared key with a control character is refused', badKey, 'key\u0000x\n', /printable ASCII/);
