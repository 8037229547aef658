import test from 'ava';
import { vpnAzure } from '../../../overlays/vpn-azure/overlay.js';
import { connection, parse } from './fixtures.js';

test('the image gets charon-systemd, swanctl and the standard plugins (only Recommended by libstrongswan), never the legacy starter or the extra plugins', (t) => {
  const packages = vpnAzure.packages(parse({ connections: [connection()] }));
  for (const wanted of ['charon-systemd', 'strongswan-swanctl', 'libstrongswan-standard-plugins']) t.true(packages.includes(wanted), wanted);
  for (const unwanted of ['strongswan', 'strongswan-starter', 'strongswan-charon', 'libcharon-extra-plugins']) t.false(packages.includes(unwanted), unwanted);
});

test('each connection\'s shared key is a secret file the config names', (t) => {
  const config = parse({ connections: [connection(), connection({ name: 'dr', gateways: ['203.0.113.20'], remoteSubnets: ['10.30.0.0/16'], psk: 'keys/dr.psk' })] });
  t.deepEqual(vpnAzure.files(config, { configName: 'gw1', hostname: 'gw1' }), [
    { field: ['connections', 0, 'psk'], path: 'keys/hq.psk', secret: true },
    { field: ['connections', 1, 'psk'], path: 'keys/dr.psk', secret: true },
  ]);
});
