/**
 * An active-active Azure gateway: the rendered connection with two gateways (azure-hq-1 and
 * azure-hq-2, both any-to-any) against two strongSwan "Azure" instances with the same VNet.
 * kernel-libipsec sends outbound traffic by the policy installed last, and the other child's
 * policy takes over once that one is deleted: so the gateway carrying the traffic is killed, and
 * the device's DPD (timeout 9 s) must delete its SA for the traffic to move to the other.
 */
import { join } from 'node:path';
import { azureOffer } from '../../../overlays/vpn-azure/presets.js';
import { makeTempDir } from '../../helpers/temp-dir.js';
import { testNeeding } from '../../helpers/tools.js';
import { startAzurePeer } from './helpers/azure-peer.js';
import { CHARON, killCharon, SWANCTL } from './helpers/charon.js';
import { siteConfig, startDevice } from './helpers/device.js';
import { exec, makeSites } from './helpers/netns.js';
import { startPing } from './helpers/ping.js';
import { listSas, waitForChild } from './helpers/swanctl.js';
import { waitFor } from './helpers/wait.js';
import { ECP384_POLICY, parse } from './fixtures.js';

const test = testNeeding({
  tools: { ip: 'iproute2', [CHARON]: 'charon-systemd', [SWANCTL]: 'strongswan-swanctl', ping: 'iputils-ping' },
  root: 'network namespaces, veth pairs and charon\'s TUN device',
});

const PSK = 'tunnels-active-active-key-0123456789';

test('with two Azure gateways, traffic flows, and when the gateway carrying it is killed it continues through the other', async (t) => {
  const dir = await makeTempDir(t, 'vpn-azure-active-active-');
  const sites = await makeSites(t, { activeActive: true });
  const second = sites.second!;
  const config = parse(siteConfig(sites, { policy: { preset: 'azure-custom', custom: ECP384_POLICY, dpdTimeoutSeconds: 9 } }));
  const offer = azureOffer(config.connections[0]!.policy)!;
  const deviceId = sites.left.outer;
  const peers = {
    'azure-hq-1': await startAzurePeer(t, { ns: sites.right.ns, dir: join(dir, 'azure-1'), offer, local: { address: sites.right.outer, id: sites.right.outer }, remote: { address: sites.left.outer, id: deviceId }, psk: PSK }),
    'azure-hq-2': await startAzurePeer(t, { ns: second.gateway.ns, dir: join(dir, 'azure-2'), offer, local: { address: second.gateway.outer, id: second.gateway.outer }, remote: { address: second.leftOuter, id: deviceId }, psk: PSK }),
  };
  // kernel-libipsec routes everything but its own peer through ipsec0 (table 220, a default route
  // per any-to-any child): the other gateway's IKE and ESP would go into the first tunnel. On the
  // device the XFRM interfaces take only the routes to the VNet; here the gateways' addresses are
  // kept on the main table ahead of table 220's rule (priority 220)
  for (const gateway of [sites.right.outer, second.gateway.outer]) await exec(sites.left.ns, ['ip', 'rule', 'add', 'to', `${gateway}/32`, 'lookup', 'main', 'priority', '100']);
  const { charon } = await startDevice(t, { ns: sites.left.ns, dir, config, psk: PSK });
  for (const name of Object.keys(peers)) await waitForChild(charon, { ike: name, child: name, timeoutMs: 120_000 });

  const packetsOut = async () => new Map((await listSas(charon)).flatMap((sa) => sa.children.filter((child) => child.state === 'INSTALLED').map((child) => [sa.name, Number(child['packets-out'] ?? 0)] as const)));
  const before = await packetsOut();
  const running = startPing(t, { ns: sites.left.ns, from: sites.left.inner, to: sites.right.inner });
  await running.nextAnswer({ after: 0, what: 'the first ping answer through the tunnels' });
  const carrier = await waitFor(async () => [...(await packetsOut())].find(([name, packets]) => packets >= (before.get(name) ?? 0) + 3)?.[0], { what: 'a child to count the pings' });
  const other = carrier === 'azure-hq-1' ? 'azure-hq-2' : 'azure-hq-1';
  const otherBefore = (await packetsOut()).get(other) ?? 0;

  await killCharon(peers[carrier as keyof typeof peers].charon);
  const killedAt = Date.now();
  const lastBefore = running.answers.at(-1) ?? 0;
  // the pings sent to the dead gateway go unanswered until DPD deletes its SA
  await waitFor(async () => !(await listSas(charon)).some((sa) => sa.name === carrier && sa.values.state === 'ESTABLISHED'), { what: `the device to give up ${carrier}`, timeoutMs: 120_000 });
  const next = await running.nextAnswer({ after: lastBefore + 1, timeoutMs: 120_000, what: `a ping answered through ${other}` });
  t.log(`${carrier} carried the traffic; answers resumed through ${other} ${((next.at - killedAt) / 1000).toFixed(1)} s after it was killed (DPD timeout 9 s)`);
  // the answer came back through the other child: it counted the request
  const after = await packetsOut();
  t.true((after.get(other) ?? 0) > otherBefore, `${other} packets-out ${after.get(other)} (was ${otherBefore})`);
  t.false(after.has(carrier));
  const { transmitted, received } = await running.stop();
  t.log(`${received} of ${transmitted} pings answered; the gateway was killed after icmp_seq ${lastBefore}`);
});
