import test from 'ava';
import { getBoard } from '../../board/index.js';
import { armBootArgs, formatForward, overlayArgs, parseForward, x86BootArgs } from '../../build/boot.js';
import { parseLink } from '../../build/guest-link.js';
import type { ConsoleOptions } from '../../build/qemu-console.js';
import { runCli } from '../helpers/cli.js';

const TERMINAL = ['-nographic', '-chardev', 'stdio,id=terminal,mux=on,signal=off', '-serial', 'chardev:terminal', '-mon', 'chardev=terminal,mode=readline'];

const QEMU_STOCK_COMMAND_LINE =
  'console=ttyAMA0,115200 root=/dev/mtdblock5 ro rootdelay=1 rootfstype=jffs2 earlyprintk ' +
  'mtdparts=armada-nand:2048K(uboot)ro,256K(u_env),256K(s_env),1m@9m(devinfo),40m@10m(kernel),' +
  '34m@16m(rootfs),40m@50m(alt_kernel),34m@56m(alt_rootfs),80m@10m(ubifs),-@90m(syscfg)';

test('the QEMU stand-in boots with caiman\'s stock command line on the PL011 console', (t) => {
  const commandLine = getBoard('qemu-armhf').stockCommandLine!;
  t.is(commandLine, QEMU_STOCK_COMMAND_LINE);
  t.true(commandLine.includes('root=/dev/mtdblock5'));
  t.true(commandLine.includes('console=ttyAMA0,115200'));
});

test('the armhf guest runs u-boot-qemu under TCG with the writable flash stand-in on virtio and the stick on xHCI', (t) => {
  t.deepEqual(armBootArgs({ overlay: '/w/usb.qcow2', flashDisk: '/w/flash.img', sshPort: 2222 }), [
    'qemu-system-arm', '-M', 'virt,highmem=off', '-cpu', 'cortex-a15', '-m', '1024', '-smp', '2', '-accel', 'tcg',
    '-bios', '/usr/lib/u-boot/qemu_arm/u-boot.bin',
    '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22', '-device', 'virtio-net-pci,netdev=net0',
    '-drive', 'if=none,id=flash,format=raw,file=/w/flash.img',
    '-device', 'virtio-blk-device,drive=flash',
    '-device', 'qemu-xhci,id=xhci',
    '-drive', 'if=none,id=stick,format=qcow2,file=/w/usb.qcow2',
    '-device', 'usb-storage,bus=xhci.0,drive=stick',
    ...TERMINAL,
  ]);
});

test('--monitor puts QEMU\'s monitor on a unix socket and keeps the console on the terminal\'s mux', (t) => {
  const args = armBootArgs({ overlay: '/w/usb.qcow2', flashDisk: '/w/flash.img', sshPort: 2222, console: { mode: 'terminal', monitor: '/w/monitor' } });
  t.deepEqual(args.slice(-9), [...TERMINAL, '-monitor', 'unix:/w/monitor,server=on,wait=off']);
});

test('--serial-socket puts the console on a unix socket that a program can drive (flash tftp)', (t) => {
  const args = armBootArgs({ overlay: '/w/usb.qcow2', flashDisk: '/w/flash.img', sshPort: 2222, console: { mode: 'terminal', monitor: '/w/monitor', serialSocket: '/w/console' } });
  t.deepEqual(args.slice(args.indexOf('-serial'), args.indexOf('-serial') + 2), ['-serial', 'unix:/w/console,server=on,wait=off']);
  t.deepEqual(args.slice(-2), ['-monitor', 'unix:/w/monitor,server=on,wait=off']);
});

test('the x86 guest runs OVMF on q35 under TCG with read-only firmware code, writable vars and the disk on virtio', (t) => {
  t.deepEqual(x86BootArgs({ overlay: '/w/disk.qcow2', vars: '/w/OVMF_VARS.fd', sshPort: 10022 }), [
    'qemu-system-x86_64', '-machine', 'q35', '-accel', 'tcg,thread=single', '-m', '1024', '-smp', '2',
    '-drive', 'if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd',
    '-drive', 'if=pflash,format=raw,file=/w/OVMF_VARS.fd',
    '-drive', 'if=virtio,format=qcow2,file=/w/disk.qcow2',
    '-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:10022-:22', '-device', 'virtio-net-pci,netdev=net0',
    ...TERMINAL,
  ]);
});

test('the x86 guest takes the same console options as the armhf one', (t) => {
  const console: ConsoleOptions = { mode: 'terminal', monitor: '/w/monitor', serialSocket: '/w/console' };
  const x86 = x86BootArgs({ overlay: '/w/disk.qcow2', vars: '/w/OVMF_VARS.fd', sshPort: 10022, console });
  const arm = armBootArgs({ overlay: '/w/usb.qcow2', flashDisk: '/w/flash.img', sshPort: 2222, console });
  t.deepEqual(x86.slice(x86.indexOf('-nographic')), arm.slice(arm.indexOf('-nographic')));
});

test('the guest writes to a qcow2 overlay backed by the raw image', (t) => {
  t.deepEqual(overlayArgs('/out/usb.img', '/w/usb.qcow2'), ['qemu-img', 'create', '-q', '-f', 'qcow2', '-b', '/out/usb.img', '-F', 'raw', '/w/usb.qcow2']);
});

test('extra forwards go to the host\'s loopback only, after SSH', (t) => {
  const forwards = [parseForward('udp:5353:53')!, parseForward('tcp:18053:8053')!];
  const args = armBootArgs({ overlay: '/w/usb.qcow2', flashDisk: '/w/flash.img', sshPort: 2222, forwards });
  t.is(args[args.indexOf('-netdev') + 1], 'user,id=net0,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:127.0.0.1:5353-:53,hostfwd=tcp:127.0.0.1:18053-:8053');
});

const LINK = ['-netdev', 'dgram,id=link0,local.type=inet,local.host=127.0.0.1,local.port=40001,remote.type=inet,remote.host=127.0.0.1,remote.port=40002', '-device', 'virtio-net-pci,netdev=link0,mac=52:54:00:4c:9c:41'];

test('the armhf guest\'s link NIC comes after every other device, so the first NIC and the stick keep their PCI slots', (t) => {
  const plain = armBootArgs({ overlay: '/w/usb.qcow2', flashDisk: '/w/flash.img', sshPort: 2222 });
  const linked = armBootArgs({ overlay: '/w/usb.qcow2', flashDisk: '/w/flash.img', sshPort: 2222, links: [parseLink('udp:40001:40002')!] });
  const end = plain.indexOf('-nographic');
  t.deepEqual(linked, [...plain.slice(0, end), ...LINK, ...plain.slice(end)]);
});

test('the x86 guest\'s link NIC comes after its first NIC, as virtio-net-pci too', (t) => {
  const plain = x86BootArgs({ overlay: '/w/disk.qcow2', vars: '/w/OVMF_VARS.fd', sshPort: 10022 });
  const linked = x86BootArgs({ overlay: '/w/disk.qcow2', vars: '/w/OVMF_VARS.fd', sshPort: 10022, links: [parseLink('udp:40001:40002')!] });
  const end = plain.indexOf('-nographic');
  t.deepEqual(plain.slice(end - 4, end), ['-netdev', 'user,id=net0,hostfwd=tcp:127.0.0.1:10022-:22', '-device', 'virtio-net-pci,netdev=net0']);
  t.deepEqual(linked, [...plain.slice(0, end), ...LINK, ...plain.slice(end)]);
});

const badForward = test.macro({
  exec: (t, text: string) => t.is(parseForward(text), undefined),
  title: (_, text: string) => `--forward "${text}" is refused`,
});
for (const text of ['tcp:80', 'sctp:1:2', 'tcp:0:53', 'udp:5353:70000', 'tcp:a:b', 'tcp:1:2:3']) test(badForward, text);

test('a forward prints back as --forward takes it', (t) => {
  for (const text of ['udp:5353:53', 'tcp:18053:8053']) t.is(formatForward(parseForward(text)!), text);
});

test('the boot command refuses a malformed --forward with exit code 2', async (t) => {
  const result = await runCli(['boot', '--board', 'qemu-armhf', '--forward', 'dns:53']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /--forward must be tcp:HOSTPORT:GUESTPORT or udp:HOSTPORT:GUESTPORT, not "dns:53"/);
});

test('the boot command refuses a malformed --link with exit code 2, naming the flag and its form', async (t) => {
  const result = await runCli(['boot', '--board', 'qemu-armhf', '--link', 'listen:127.0.0.1:40001']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /error: --link must be udp:LOCALPORT:PEERPORT\[,mac=52:54:00:XX:XX:XX\] \(two different ports from 1 to 65535, a unicast MAC\), not "listen:127\.0\.0\.1:40001"/);
});

test('the boot command refuses two --link with one MAC', async (t) => {
  const result = await runCli(['boot', '--board', 'qemu-armhf', '--link', 'udp:40001:40002,mac=52:54:00:00:00:01', '--link', 'udp:40003:40004,mac=52:54:00:00:00:01']);
  t.is(result.exitCode, 2);
  t.regex(result.stderr, /error: --link: two links have the MAC 52:54:00:00:00:01; give each its own with ,mac=/);
});
