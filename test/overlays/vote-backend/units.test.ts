/** vote-backend's units: the service's limits, state, credential and ordering; the database setup oneshot. */
import test from 'ava';
import { databaseUnit, voteUnit } from '../../../overlays/vote-backend/units.js';

const local = voteUnit({ localDatabase: true, privilegedPort: false, openFiles: 65_536 });

test('the service runs the bundle as its own user with LimitNOFILE from the config and its journal in its state directory', (t) => {
  t.regex(local, /^ExecStart=\/usr\/bin\/node \/usr\/lib\/mcdebian\/vote-backend\/main\.mjs serve --config \/etc\/mcdebian\/vote-backend\/config\.json$/m);
  t.regex(local, /^User=votebackend$/m);
  t.regex(local, /^LimitNOFILE=65536$/m);
  t.regex(voteUnit({ localDatabase: true, privilegedPort: false, openFiles: 200_000 }), /^LimitNOFILE=200000$/m);
  t.regex(local, /^StateDirectory=mcdebian-vote-backend\/journal$/m);
  t.regex(local, /^StateDirectoryMode=0700$/m);
});

test('the password comes as a credential, never in the world-readable config', (t) => {
  t.regex(local, /^LoadCredential=database-password:\/etc\/mcdebian\/secrets\/vote-backend\/database-password$/m);
  t.regex(databaseUnit(), /^LoadCredential=database-password:\/etc\/mcdebian\/secrets\/vote-backend\/database-password$/m);
});

test('with a local MariaDB the service starts after it and the setup unit, and only wants them: it takes votes into its journal while they are down', (t) => {
  t.regex(local, /^After=mcdebian-vote-backend-database\.service mariadb\.service$/m);
  t.regex(local, /^Wants=mcdebian-vote-backend-database\.service$/m);
  t.notRegex(local, /^Requires=/m);
  const remote = voteUnit({ localDatabase: false, privilegedPort: false, openFiles: 65_536 });
  t.notRegex(remote, /mariadb\.service|vote-backend-database/);
});

test('the setup unit needs MariaDB, runs before the service, and retries until MariaDB answers', (t) => {
  const unit = databaseUnit();
  t.regex(unit, /^After=mariadb\.service$/m);
  t.regex(unit, /^Requires=mariadb\.service$/m);
  t.regex(unit, /^Before=mcdebian-vote-backend\.service$/m);
  t.regex(unit, /^Type=oneshot\nRemainAfterExit=yes$/m);
  t.regex(unit, /^Restart=on-failure$/m);
  t.regex(unit, /^StartLimitIntervalSec=0$/m);
  t.regex(unit, /^ExecStart=\/usr\/lib\/mcdebian\/vote-backend\/setup-database$/m);
});

test('only a port below 1024 gets CAP_NET_BIND_SERVICE; no restart loop on a config or journal the service cannot use', (t) => {
  t.regex(local, /^CapabilityBoundingSet=$/m);
  const privileged = voteUnit({ localDatabase: false, privilegedPort: true, openFiles: 65_536 });
  t.regex(privileged, /^AmbientCapabilities=CAP_NET_BIND_SERVICE\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE$/m);
  t.regex(local, /^RestartPreventExitStatus=78 74$/m);
  t.regex(local, /^KillMode=mixed$/m);
});
