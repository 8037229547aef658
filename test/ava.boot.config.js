// The boot tier: image builds and QEMU boots. Every test file shares one stage cache, so a base
// (one per architecture and package set) is bootstrapped once per run: the stage lock makes the
// second builder wait for the first. MCDEBIAN_TEST_CACHE chooses it (.ci/run gives a fresh one);
// by default it is kept in ~/.cache/mcdebian-test between local runs.
import { homedir } from 'node:os';
import { join } from 'node:path';

export default {
  files: ['dist/test/**/*.boot.test.js'],
  timeout: '60m',
  concurrency: 2,
  workerThreads: false,
  environmentVariables: {
    MCDEBIAN_TEST_CACHE: process.env.MCDEBIAN_TEST_CACHE ?? join(homedir(), '.cache', 'mcdebian-test'),
  },
};
