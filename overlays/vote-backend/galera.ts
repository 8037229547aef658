/**
 * A Galera node's MariaDB settings, for /etc/mysql/mariadb.conf.d/ (mariadbd reads the [galera]
 * group only when it is built with wsrep, as Debian's is). The mandatory settings are those of
 * MariaDB's "Configuring MariaDB Galera Cluster" page and of Debian's own commented 60-galera.cnf:
 * wsrep_on, the provider, the cluster's name and address, binlog_format=ROW (Galera replicates
 * row events only) and innodb_autoinc_lock_mode=2 (interleaved: the traditional mode's table
 * lock can deadlock appliers). Every port is written out, so that nodes that share an address
 * (a test on loopback) can each have their own.
 */
import type { GaleraConfig, GaleraNode } from './schema.js';

/** Debian's galera-4 installs its provider here (and a copy at /usr/lib/libgalera_smm.so). */
export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';

/** The node this image is (the loader has checked that it is one of nodes). */
export function thisNode(config: GaleraConfig): GaleraNode {
  const node = config.nodes.find((entry) => entry.name === config.node);
  if (!node) throw new Error(`galera node ${config.node} is not among nodes`);
  return node;
}

/** gcomm:// with every node's group communication address: a node ignores its own entry. */
export const clusterAddress = (config: GaleraConfig): string => `gcomm://${config.nodes.map((node) => `${node.address}:${node.groupPort}`).join(',')}`;

export function renderGaleraCnf(config: GaleraConfig): string {
  const node = thisNode(config);
  return `# McDebian vote-backend: this machine is node ${node.name} of the Galera cluster ${config.clusterName}.
# A new cluster starts on one node with galera_new_cluster; the others then join with
# systemctl start mariadb (see the vote-backend README). Options: mariadbd --help --verbose.
[galera]
wsrep_on = ON
wsrep_provider = ${GALERA_PROVIDER}
wsrep_cluster_name = ${config.clusterName}
wsrep_cluster_address = ${clusterAddress(config)}
wsrep_node_name = ${node.name}
wsrep_node_address = ${node.address}
wsrep_provider_options = "gmcast.listen_addr=tcp://${node.address}:${node.groupPort};ist.recv_addr=${node.address}:${node.istPort}"
wsrep_sst_method = ${config.sstMethod}
wsrep_sst_receive_address = ${node.address}:${node.sstPort}
binlog_format = ROW
default_storage_engine = InnoDB
innodb_autoinc_lock_mode = 2
# the commit is on this node's disk before it is acknowledged
innodb_flush_log_at_trx_commit = 1
# the other vote servers and nodes reach this one on the cluster's network
bind_address = ${node.address}
port = ${node.port}
`;
}
