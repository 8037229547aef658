/**
 * The QEMU machines McDebian boots. One definition serves `mcdebian boot` and the build (which
 * dumps the virt DTB with the same options), so the DTB always matches the machine.
 * Facts: flash/README.md, "The QEMU stand-in".
 */

/** `-M virt,highmem=off`: armmp has no LPAE, and the default ECAM window sits above 4 GiB. */
export const ARM_MACHINE = 'virt,highmem=off';
export const ARM_MEMORY_MIB = 1024;
export const ARM_CPUS = 2;

/** The machine, memory and CPUs of the armhf stand-in, shared by dumpdtb and boot. */
export function armMachineArgs(extraMachineOptions = ''): string[] {
  return ['-M', `${ARM_MACHINE}${extraMachineOptions}`, '-cpu', 'cortex-a15', '-m', String(ARM_MEMORY_MIB), '-smp', String(ARM_CPUS)];
}

/** QEMU writes the device tree of exactly the machine `mcdebian boot` runs, then exits. */
export function dumpDtbArgs(output: string): string[] {
  return ['qemu-system-arm', ...armMachineArgs(`,dumpdtb=${output}`), '-nographic'];
}
