/** A Galera node's settings as vote-backend renders them. */
import test from 'ava';
import { clusterAddress, renderGaleraCnf } from '../../../overlays/vote-backend/galera.js';
import type { GaleraConfig } from '../../../overlays/vote-backend/schema.js';
import { galera, parse } from './fixtures.js';

const galeraOf = (fields: Record<string, unknown> = {}) => parse({ database: galera(fields) }).database as GaleraConfig;

test('a node\'s settings: wsrep on with Debian\'s provider, row events, interleaved autoincrement locks, rsync state transfer', (t) => {
  const cnf = renderGaleraCnf(galeraOf({ node: 'db2' }));
  t.regex(cnf, /^\[galera\]$/m);
  for (const line of ['wsrep_on = ON', 'wsrep_provider = /usr/lib/galera/libgalera_smm.so', 'wsrep_cluster_name = votes', 'binlog_format = ROW',
    'innodb_autoinc_lock_mode = 2', 'wsrep_sst_method = rsync', 'innodb_flush_log_at_trx_commit = 1', 'wsrep_node_name = db2', 'wsrep_node_address = 10.0.0.12',
    'bind_address = 10.0.0.12', 'port = 3306', 'wsrep_sst_receive_address = 10.0.0.12:4444']) {
    t.true(cnf.split('\n').includes(line), line);
  }
  t.regex(cnf, /^wsrep_provider_options = "gmcast\.listen_addr=tcp:\/\/10\.0\.0\.12:4567;ist\.recv_addr=10\.0\.0\.12:4568"$/m);
});

test('every node is in the cluster address, with its own group port', (t) => {
  const config = galeraOf({ nodes: [{ name: 'a', address: '127.0.0.1' }, { name: 'b', address: '127.0.0.1', port: 3307, groupPort: 4577, istPort: 4578, sstPort: 4454 }, { name: 'c', address: '10.0.0.3' }], node: 'b' });
  t.is(clusterAddress(config), 'gcomm://127.0.0.1:4567,127.0.0.1:4577,10.0.0.3:4567');
  const cnf = renderGaleraCnf(config);
  t.regex(cnf, /^wsrep_cluster_address = gcomm:\/\/127\.0\.0\.1:4567,127\.0\.0\.1:4577,10\.0\.0\.3:4567$/m);
  t.regex(cnf, /^port = 3307$/m);
  t.regex(cnf, /ist\.recv_addr=127\.0\.0\.1:4578"/);
  t.regex(cnf, /^wsrep_sst_receive_address = 127\.0\.0\.1:4454$/m);
});

test('the file tells how a new cluster starts', (t) => {
  t.regex(renderGaleraCnf(galeraOf()), /A new cluster starts on one node with galera_new_cluster/);
});
