/**
 * The QEMU machines McDebian boots. One definition serves `mcdebian boot` and the build (which
 * dumps the virt DTB with the same options), so the DTB always matches the machine.
 * Facts: flash/README.md, "The QEMU stand-in".
 */

/** `-M virt,highmem=off`: armmp has no LPAE, and the default ECAM window sits above 4 GiB. */
export const ARM_MACHINE = 'virt,highmem=off';
export const ARM_MEMORY_MIB = 1024;
export const ARM_CPUS = 2;

/**
 * TCG with one host thread for all virtual CPUs. The default on a multi-core host is one thread
 * per vCPU (MTTCG); on a busy host that let a Debian x86-64 kernel die with "Oops: int3" in
 * run_timer_softirq while a static key was being switched: x86 patches live code by writing an
 * int3 over the first byte, then the rest, then removing it, trusting every CPU to see each
 * write in order, and a vCPU thread the host had descheduled ran a translation made while the
 * int3 was there, after the kernel had stopped expecting it. One thread runs the vCPUs in turn,
 * so no vCPU runs while another patches code; the guest still sees two CPUs. KVM would avoid
 * TCG altogether, but the machines we boot on have none that works.
 */
export const TCG_ACCEL = ['-accel', 'tcg,thread=single'];

/** The machine, memory and CPUs of the armhf stand-in, shared by dumpdtb and boot. */
export function armMachineArgs(extraMachineOptions = ''): string[] {
  return ['-M', `${ARM_MACHINE}${extraMachineOptions}`, '-cpu', 'cortex-a15', '-m', String(ARM_MEMORY_MIB), '-smp', String(ARM_CPUS)];
}

/** QEMU writes the device tree of exactly the machine `mcdebian boot` runs, then exits. */
export function dumpDtbArgs(output: string): string[] {
  return ['qemu-system-arm', ...armMachineArgs(`,dumpdtb=${output}`), '-nographic'];
}
