// The integration tier: the real tools and servers (BIND, Kannel, sshd, mke2fs, mkimage, tftpd,
// strongSwan, MariaDB, moto...) on loopback and in network namespaces the tests make. Run with
// `npm run test:integration`; the unit tier is package.json's "ava" section, the boot tier
// test/ava.boot.config.js.
export default {
  files: ['dist/test/**/*.integration.test.js'],
  timeout: '5m',
  concurrency: 2,
  workerThreads: false,
};
