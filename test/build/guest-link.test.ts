import test from 'ava';
import { defaultLinkMac, describeLink, linkArgs, parseLink } from '../../build/guest-link.js';

test('a link binds its local port and sends to its peer\'s, with a MAC made from the local port', (t) => {
  t.deepEqual(parseLink('udp:40001:40002'), { localPort: 40001, peerPort: 40002, mac: '52:54:00:4c:9c:41' });
});

test('a link takes the MAC it is given, written lower-case', (t) => {
  t.deepEqual(parseLink('udp:40002:40001,mac=52:54:00:AB:cd:01'), { localPort: 40002, peerPort: 40001, mac: '52:54:00:ab:cd:01' });
});

test('the two ends of a link get different MACs, and the same flags the same MAC on every boot', (t) => {
  const [a, b] = [parseLink('udp:40001:40002')!, parseLink('udp:40002:40001')!];
  t.not(a.mac, b.mac);
  t.is(parseLink('udp:40001:40002')!.mac, a.mac);
});

test('every local port gives its own unicast MAC, off QEMU\'s 52:54:00:12:34:xx defaults', (t) => {
  const macs = new Set<string>();
  for (let port = 1; port <= 65535; port += 1) macs.add(defaultLinkMac(port));
  t.is(macs.size, 65535);
  t.is(defaultLinkMac(1), '52:54:00:4c:00:01');
  t.is(defaultLinkMac(65535), '52:54:00:4c:ff:ff');
  t.false([...macs].some((mac) => mac.startsWith('52:54:00:12:34:')));
});

const badLink = test.macro({
  exec: (t, text: string) => t.is(parseLink(text), undefined),
  title: (_, text: string) => `--link "${text}" is refused`,
});
for (const text of [
  'listen:127.0.0.1:40001', 'connect:127.0.0.1:40001', 'tcp:40001:40002', 'udp:40001', 'udp:0:40002', 'udp:40001:70000',
  'udp:40001:40001', 'udp:40001:40002,mac=01:00:5e:00:00:01', 'udp:40001:40002,mac=52:54:00:4c:9c', 'udp:40001:40002,mac=52-54-00-4c-9c-41',
  'udp:40001:40002,mac=', 'udp:40001:40002,model=e1000', 'udp:40001:40002,mac=52:54:00:00:00:01,mac=52:54:00:00:00:02', ' udp:40001:40002',
]) test(badLink, text);

test('each link is a dgram netdev on 127.0.0.1 and a virtio-net-pci NIC with its MAC, numbered from link0', (t) => {
  t.deepEqual(linkArgs([parseLink('udp:40001:40002')!, parseLink('udp:40003:40004,mac=52:54:00:00:00:01')!]), [
    '-netdev', 'dgram,id=link0,local.type=inet,local.host=127.0.0.1,local.port=40001,remote.type=inet,remote.host=127.0.0.1,remote.port=40002',
    '-device', 'virtio-net-pci,netdev=link0,mac=52:54:00:4c:9c:41',
    '-netdev', 'dgram,id=link1,local.type=inet,local.host=127.0.0.1,local.port=40003,remote.type=inet,remote.host=127.0.0.1,remote.port=40004',
    '-device', 'virtio-net-pci,netdev=link1,mac=52:54:00:00:00:01',
  ]);
  t.deepEqual(linkArgs([]), []);
});

test('a link is described with its MAC and both ends', (t) => {
  t.is(describeLink(parseLink('udp:40001:40002')!), 'link NIC 52:54:00:4c:9c:41: UDP 127.0.0.1:40001 <-> 127.0.0.1:40002');
});
