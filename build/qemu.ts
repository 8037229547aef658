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
 * x86-64 runs under TCG with one host thread for both virtual CPUs. With the default, a thread
 * per vCPU (MTTCG), a busy host let Debian's x86-64 kernel die with "Oops: int3" in
 * run_timer_softirq while a static key was being switched: x86 patches live code by writing an
 * int3 over the instruction's first byte, then the rest, then removing it, and relies on every
 * CPU seeing those writes in order; a vCPU thread the host had descheduled went on running a
 * translation made while the int3 was there, after the kernel had stopped expecting one. With
 * one thread the vCPUs take turns, so none runs while another patches. The guest still sees
 * two CPUs. (KVM would avoid TCG altogether; the machines we boot on have none that works.)
 */
export const X86_ACCEL = ['-accel', 'tcg,thread=single'];

/**
 * armhf keeps a thread per vCPU: its kernel patches code under stop_machine, where every CPU
 * spins in multi_cpu_stop until all have arrived, so no vCPU runs old code meanwhile. With one
 * thread, each spinning vCPU held it until QEMU's round-robin kick, and a qemu-armhf boot under
 * thread=single did not reach login in 15 minutes (RCU stalls in multi_cpu_stop).
 */
export const ARM_ACCEL = ['-accel', 'tcg'];

/** The machine, memory and CPUs of the armhf stand-in, shared by dumpdtb and boot. */
export function armMachineArgs(extraMachineOptions = ''): string[] {
  return ['-M', `${ARM_MACHINE}${extraMachineOptions}`, '-cpu', 'cortex-a15', '-m', String(ARM_MEMORY_MIB), '-smp', String(ARM_CPUS)];
}

/** QEMU writes the device tree of exactly the machine `mcdebian boot` runs, then exits. */
export function dumpDtbArgs(output: string): string[] {
  return ['qemu-system-arm', ...armMachineArgs(`,dumpdtb=${output}`), '-nographic'];
}
