import test from 'ava';
import { renderVpnAzure, secretsFileOf } from '../../../overlays/vpn-azure/render.js';
import { connection, parse, pskFiles, router, server } from './fixtures.js';

const render = (value: Record<string, unknown>, context = router, psk?: string) => {
  const config = parse(value);
  return renderVpnAzure(config, pskFiles(config, psk), context);
};
const contentOf = (rendered: ReturnType<typeof render>, path: string) => {
  const found = rendered.files.find((file) => file.path === path);
  if (!found) throw new Error(`${path} was not rendered`);
  return found;
};
const CONNECTIONS = '/etc/swanctl/conf.d/mcdebian-vpn-azure.conf';

test('route-based: one IKE connection per gateway, any-to-any selectors, an XFRM interface id each and the route hook', (t) => {
  const rendered = render({ connections: [connection({ gateways: ['203.0.113.10', '203.0.113.11'] })] });
  const conf = contentOf(rendered, CONNECTIONS).content!;
  t.regex(conf, /azure-hq-1 \{\n\s+version = 2\n\s+remote_addrs = 203\.0\.113\.10/);
  t.regex(conf, /azure-hq-2 \{\n\s+version = 2\n\s+remote_addrs = 203\.0\.113\.11/);
  t.regex(conf, /local_ts = 0\.0\.0\.0\/0\n\s+remote_ts = 0\.0\.0\.0\/0/);
  t.regex(conf, /if_id_in = 1\n\s+if_id_out = 1/);
  t.regex(conf, /if_id_in = 2\n\s+if_id_out = 2/);
  t.regex(conf, /updown = \/usr\/libexec\/mcdebian\/vpn-azure-updown/);
  t.regex(contentOf(rendered, '/etc/systemd/network/60-az-hq-2.netdev').content!, /Kind=xfrm\n\n\[Xfrm\]\nInterfaceId=2\n/);
  // the first gateway's routes win; the router's LAN address is the source of its own traffic
  t.is(contentOf(rendered, '/etc/mcdebian/vpn-azure/routes').content, 'azure-hq-1 az-hq-1 100 192.168.1.1 10.20.0.0/16\nazure-hq-2 az-hq-2 200 192.168.1.1 10.20.0.0/16\n');
});

test('Azure\'s lifetimes: we rekey first and our SAs never outlive Azure\'s', (t) => {
  const conf = contentOf(render({ connections: [connection()] }), CONNECTIONS).content!;
  t.regex(conf, /rekey_time = 25920s\n\s+over_time = 2880s/); // 25,920 + 2,880 = Azure's 28,800 s IKE SA
  t.regex(conf, /rekey_time = 24300s\n\s+life_time = 27000s\n\s+rekey_bytes = 94371840000\n\s+life_bytes = 104857600000/);
  t.regex(conf, /dpd_delay = 15s/);
  t.regex(conf, /start_action = start\n\s+dpd_action = restart\n\s+close_action = start/);
  t.regex(conf, /keyingtries = 0/);
});

test('policy-based: one child per local x remote prefix pair, no XFRM interface, charon routes them itself', (t) => {
  const rendered = render({ mode: 'policy-based', connections: [connection({ localSubnets: ['192.168.1.0/24', '192.168.2.0/24'], remoteSubnets: ['10.20.0.0/16', '10.21.0.0/16'] })] });
  const conf = contentOf(rendered, CONNECTIONS).content!;
  const children = [...conf.matchAll(/local_ts = (\S+)\n\s+remote_ts = (\S+)/g)].map((match) => `${match[1]} ${match[2]}`);
  t.deepEqual(children, ['192.168.1.0/24 10.20.0.0/16', '192.168.1.0/24 10.21.0.0/16', '192.168.2.0/24 10.20.0.0/16', '192.168.2.0/24 10.21.0.0/16']);
  t.notRegex(conf, /if_id/);
  t.false(rendered.files.some((file) => file.path.endsWith('.netdev')));
  t.regex(contentOf(rendered, '/etc/mcdebian/vpn-azure/firewall.nft').content!, /rt ipsec exists ip saddr \{ 192\.168\.1\.0\/24, 192\.168\.2\.0\/24 \}/);
});

test('a Basic PolicyBased gateway: IKEv1, reauthentication instead of rekeying, no DPD, a DH2 warning in the plan', (t) => {
  const rendered = render({ mode: 'policy-based', connections: [connection({ policy: { preset: 'azure-policy-based', allowDhGroup2: true } })] });
  const conf = contentOf(rendered, CONNECTIONS).content!;
  t.regex(conf, /version = 1/);
  t.regex(conf, /reauth_time = 3240s|reauth_time = 25920s/);
  t.regex(conf, /dpd_delay = 0s/);
  t.regex(conf, /life_time = 3600s/);
  t.true(rendered.notes.some((note) => /^warning: hq uses DH group 2 .*azure-custom/.test(note)));
});

test('the shared key is in a 0600 file of its own, Base64-encoded, listed as a secret by field and never in the world-readable file', (t) => {
  const rendered = render({ connections: [connection()] }, router, 'a"b}c\\d\n');
  const secret = contentOf(rendered, secretsFileOf('hq'));
  t.is(secret.mode, 0o600);
  t.deepEqual(secret.secret, { overlay: 'vpn-azure', field: 'connections.0.psk', source: '/cfg/keys/hq.psk' });
  t.regex(secret.content!, new RegExp(`secret = 0s${Buffer.from('a"b}c\\d').toString('base64')}`));
  t.regex(secret.content!, /id-1 = 198\.51\.100\.2\n\s+id-2 = 203\.0\.113\.10/);
  for (const file of rendered.files.filter((entry) => entry.mode !== 0o600)) t.false((file.content ?? '').includes('a"b}c'), file.path);
});

test('the firewall accepts IKE and ESP from the gateways only, forwards the named subnets only and clamps the MSS to 1350', (t) => {
  const nft = contentOf(render({ connections: [connection()] }), '/etc/mcdebian/vpn-azure/firewall.nft').content!;
  t.regex(nft, /elements = \{ 203\.0\.113\.10 \}/);
  t.regex(nft, /udp dport \{ 500, 4500 \} ip saddr != @gateways drop/);
  t.regex(nft, /meta l4proto esp ip saddr != @gateways drop/);
  t.regex(nft, /hook forward priority filter; policy drop;\n\s+oifname \{ "az-hq-1" \} ip saddr \{ 192\.168\.1\.0\/24 \} ip daddr \{ 10\.20\.0\.0\/16 \} accept/);
  t.regex(nft, /tcp option maxseg size set 1350/);
});

test('charon gives up on a silent gateway after about the DPD timeout', (t) => {
  const settings = contentOf(render({ connections: [connection({ policy: { preset: 'azure-custom', custom: { ikeEncryption: 'GCMAES256', ikeIntegrity: 'SHA384', dhGroup: 'ECP384', ipsecEncryption: 'GCMAES256', ipsecIntegrity: 'GCMAES256', pfsGroup: 'ECP384' }, dpdTimeoutSeconds: 30 } })] }), '/etc/strongswan.d/mcdebian-vpn-azure.conf').content!;
  const timeout = Number(/retransmit_timeout = ([\d.]+)/.exec(settings)![1]);
  const total = [0, 1, 2, 3].reduce((sum, n) => sum + timeout * 1.8 ** n, 0);
  t.true(total > 25 && total < 35, `${total} s`);
});

test('the health check needs charon with every connection loaded, never a tunnel up', (t) => {
  const check = contentOf(render({ connections: [connection({ gateways: ['203.0.113.10', '203.0.113.11'] })] }), '/etc/mcdebian/health.d/vpn-azure');
  t.is(check.mode, 0o755);
  t.regex(check.content!, /for connection in azure-hq-1 azure-hq-2; do/);
  t.notRegex(check.content!, /list-sas|ESTABLISHED/);
});

test('on a server there is no LAN address to source the routes from', (t) => {
  t.is(contentOf(render({ connections: [connection()] }, server), '/etc/mcdebian/vpn-azure/routes').content, 'azure-hq-1 az-hq-1 100 - 10.20.0.0/16\n');
});

test('the build checks strongSwan\'s own parser and nft on the host, the openssl plugin in the image', (t) => {
  const { checks } = render({ connections: [connection()] });
  const host = checks.filter((check) => check.on === 'host');
  t.deepEqual(host.map((check) => check.argv.slice(1)), [['{rootfs}', 'azure-hq-1'], ['--net', 'nft', '--check', '--file', '{rootfs}/etc/mcdebian/vpn-azure/firewall.nft']]);
  t.true(checks.some((check) => check.on === undefined && check.argv.join(' ') === 'test -e /usr/lib/ipsec/plugins/libstrongswan-openssl.so'));
});
