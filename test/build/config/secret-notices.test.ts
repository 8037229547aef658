import test from 'ava';
import { secretFileNotices } from '../../../build/config/secret-notices.js';
import { callhome } from '../../../overlays/callhome/overlay.js';
import type { ReadFile } from '../../../overlays/overlay.js';

const key = (extra: Partial<ReadFile>): ReadFile => ({ field: ['privateKey'], path: 'secrets/gw/callhome-tunnel-key', file: '/cfg/secrets/gw/callhome-tunnel-key', secret: true, generated: false, content: 'k', ...extra });
const notices = (file: ReadFile) => secretFileNotices([{ overlay: callhome, config: {}, files: [file] }]);

test('a key moved from where earlier versions kept it is a warning naming both places', (t) => {
  t.deepEqual(notices(key({ formerFile: '/cfg/secrets/gw1/callhome-tunnel-key', moved: true })), [{
    level: 'warn',
    message: 'moved /cfg/secrets/gw1/callhome-tunnel-key to /cfg/secrets/gw/callhome-tunnel-key (overlays.callhome.privateKey): generated files are kept under the config file\'s name now, not the hostname; it is the same key, keep it there',
  }]);
});

test('plan says where a key will be moved from, a build what it generated, and the generator\'s warnings as warnings', (t) => {
  t.regex(notices(key({ formerFile: '/cfg/secrets/gw1/callhome-tunnel-key' }))[0]!.message, /found at \/cfg\/secrets\/gw1\/callhome-tunnel-key, where earlier versions kept it; build moves it/);
  t.deepEqual(notices(key({ generated: true, warnings: ['the far side trusts another key'] })), [
    { level: 'info', message: 'generated /cfg/secrets/gw/callhome-tunnel-key for overlays.callhome.privateKey: keep it, the far side trusts it' },
    { level: 'warn', message: 'the far side trusts another key' },
  ]);
  t.deepEqual(notices(key({})), []);
});

test('a generated file that is no key says why it is kept in its own words', (t) => {
  t.deepEqual(notices(key({ generated: true, keepBecause: 'the images built from this config log in to their MariaDB with it' })), [
    { level: 'info', message: 'generated /cfg/secrets/gw/callhome-tunnel-key for overlays.callhome.privateKey: keep it, the images built from this config log in to their MariaDB with it' },
  ]);
});
