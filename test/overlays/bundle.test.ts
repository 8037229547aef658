import test from 'ava';
import { execa } from 'execa';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../build/core/errors.js';
import { bundleNodeService, bundleServices } from '../../overlays/bundle.js';
import { overlayPackages, renderOverlays } from '../../overlays/render.js';
import { defineOverlay } from '../../overlays/overlay.js';
import { getBoard } from '../../board/index.js';
import { z } from 'zod';
import { makeTempDir } from '../helpers/temp-dir.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/bundle/', import.meta.url));

test('a service and its npm dependency become one file that node runs alone', async (t) => {
  const code = await bundleNodeService({ entry: join(FIXTURES, 'service.js'), path: '/usr/lib/mcdebian/demo/service.mjs' });
  t.notRegex(code, /from ["'](yaml|\.\/greeting\.js)["']/, 'no imports left but Node\'s own');
  const dir = await makeTempDir(t); // no node_modules here
  await writeFile(join(dir, 'service.mjs'), code);
  const { stdout } = await execa(process.execPath, [join(dir, 'service.mjs')], { cwd: dir });
  t.is(stdout, 'bundled {"relay":{"links":2}}');
});

test('bundles do not depend on where the tree is, and the same sources give the same bytes', async (t) => {
  const service = { entry: join(FIXTURES, 'service.js'), path: '/x.mjs' };
  const [a, b] = [await bundleNodeService(service), await bundleNodeService(service)];
  t.is(a, b);
  t.false(a.includes(FIXTURES), 'no absolute source paths');
});

test('a native module is refused, naming it', async (t) => {
  const error = await t.throwsAsync(bundleNodeService({ entry: join(FIXTURES, 'native.js'), path: '/usr/lib/mcdebian/demo/native.mjs' }), { instanceOf: UserError });
  t.regex(error.message, /cannot bundle \/usr\/lib\/mcdebian\/demo\/native\.mjs .*addon\.node/);
  t.regex(error.hint ?? '', /native module cannot run on the device/);
});

test('an overlay\'s services land in the layer as bundled files, with nodejs among its packages', async (t) => {
  const service = { entry: join(FIXTURES, 'service.js'), path: '/usr/lib/mcdebian/demo/service.mjs' };
  const demo = defineOverlay<object>({
    name: 'demo', summary: '', architectures: ['armhf'], schema: z.strictObject({}), nodeServices: [service],
    packages: () => [], files: () => [], render: () => ({ files: [], units: [], checks: [], outputs: [], notes: [] }),
  });
  const bundles = await bundleServices([service]);
  const rendered = renderOverlays([{ overlay: demo, config: {}, files: [] }], { board: getBoard('wrt1200ac'), hostname: 'gw', lanAddress: '192.168.1.1/24' }, bundles);
  t.deepEqual(rendered.files, [{ path: service.path, content: bundles[service.path], mode: 0o644 }]);
  t.deepEqual(overlayPackages([{ overlay: demo, config: {}, files: [] }]), ['nodejs']);
});
