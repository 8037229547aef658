/** The Debian archive reader against the host's own mirror (the one its apt sources name). */
import { readHostMirrors } from '../../rootfs/apt-sources.js';
import { buildSuites, fetchKernelPackageInfo } from '../../rootfs/debian-archive.js';
import { compareDebianVersions } from '../../rootfs/debian-version.js';
import { realMirrorUnavailable } from '../helpers/real-mirror.js';
import { testNeeding } from '../helpers/tools.js';

const WANTED = ['armada-385-linksys-caiman.dtb', 'armada-xp-linksys-mamba.dtb'];
const query = (mirror: string, suite = 'trixie') => ({ suites: [{ mirror, suite }], arch: 'armhf', metaPackage: 'linux-image-armmp', dtbFiles: WANTED });

/** Why the real-mirror test cannot run here, or undefined when it can. */
const realMirrorTest = testNeeding({ unavailable: await realMirrorUnavailable() });
realMirrorTest(`the host's Debian mirror serves a trixie armhf kernel with both Linksys DTBs`, async (t) => {
  const { mirror } = await readHostMirrors();
  t.truthy(mirror, 'the host apt sources name a Debian mirror');
  const info = await fetchKernelPackageInfo({ ...query(mirror ?? ''), timeoutMs: 120_000 });
  t.log(`${info.package} ${info.version}: zImage ${info.zImage.size} bytes`);
  t.true(info.zImage.size > 5_000_000);
  t.deepEqual(info.missingDtbs, []);
  for (const name of WANTED) t.is(info.dtbs[name]?.data.readUInt32BE(0), 0xd00dfeed, `${name} starts with the FDT magic`);
});

realMirrorTest(`the host's mirror's armmp kernel, from the suites a build uses, holds the stand-in's root modules and what they need`, async (t) => {
  t.timeout(600_000, 'a 56 MB package and 3,600 modules on a busy machine');
  const { mirror = '', securityMirror } = await readHostMirrors();
  const suites = buildSuites({ mirror, securityMirror, suite: 'trixie', withUpdates: true });
  const alone = await fetchKernelPackageInfo({ ...query(mirror), timeoutMs: 120_000 });
  const info = await fetchKernelPackageInfo({ ...query(mirror), suites, initramfsModules: ['xhci-pci', 'usb-storage', 'uas', 'sd_mod', 'ext4', 'virtio_mmio', 'virtio_blk', 'crc32c'], timeoutMs: 120_000 });
  t.log(`trixie alone: ${alone.version}; with ${suites.map((s) => s.suite).join(', ')}: ${info.version} from ${info.suite.suite}`);
  t.true(compareDebianVersions(info.version, alone.version) >= 0);
  const names = info.initramfsModules?.modules.map((module) => module.name) ?? [];
  t.log(`${names.length} modules, ${info.initramfsModules?.modules.reduce((sum, module) => sum + module.bytes, 0)} bytes packaged: ${names.join(' ')}`);
  // ext4 needs jbd2 and mbcache; usb-storage needs usbcore and scsi_mod; crc32c is an alias of crc32c_generic
  for (const name of ['ext4', 'jbd2', 'mbcache', 'usb_storage', 'usbcore', 'scsi_mod', 'sd_mod', 'xhci_pci', 'xhci_hcd', 'crc32c_generic']) t.true(names.includes(name), name);
  t.deepEqual(info.initramfsModules?.missing, []);
});
