import test from 'ava';
import { ext4Env } from '../../build/ext4.js';

test('mke2fs stamps the superblock with SOURCE_DATE_EPOCH through E2FSPROGS_FAKE_TIME', (t) => {
  t.deepEqual(ext4Env(1767225600), { E2FSPROGS_FAKE_TIME: '1767225600' });
  t.deepEqual(ext4Env(0), { E2FSPROGS_FAKE_TIME: '0' });
});

test('without SOURCE_DATE_EPOCH mke2fs gets no fake time', (t) => {
  t.deepEqual(ext4Env(undefined), {});
});
