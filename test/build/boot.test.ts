import test from 'ava';
import { getBoard } from '../../board/index.js';
import { armBootArgs, formatForward, overlayArgs, parseForward, x86BootArgs } from '../../build/boot.js';
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
