/**
 * The overlays' build steps: their static checks run inside the assembled image with its own
 * tools (systemd-analyze, ssh, named-checkconf ...; under qemu-user on armhf) or, where the image's
 * tool cannot run under qemu-user, on the build host against the image's files; and their outputs
 * for the far side written beside the artifacts.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { OverlayCheck, OverlayOutput } from '../overlays/overlay.js';
import { CommandError, UserError } from './core/errors.js';
import type { Step } from './core/step.js';

/** The check's command: under chroot in the image, or on the build host with {rootfs} filled in. */
const inTarget = (rootfs: string, check: OverlayCheck) =>
  (check.on === 'host' ? check.argv.map((arg) => arg.replaceAll('{rootfs}', rootfs)) : ['chroot', rootfs, ...check.argv]);

export function overlayChecksStep(checks: readonly OverlayCheck[], rootfs: string): Step {
  return {
    id: 'check-overlays',
    title: 'Check the overlays in the image with its own tools',
    commands: checks.map((check) => ({ argv: inTarget(rootfs, check) })),
    writes: [],
    notes: checks.map((check) => check.description),
    run: async (ctx) => {
      const failures: string[] = [];
      for (const check of checks) {
        try {
          const { stdout, stderr } = await ctx.exec(inTarget(rootfs, check));
          const flagged = check.failOn && `${stdout}\n${stderr}`.split('\n').filter((line) => check.failOn!.test(line));
          if (flagged && flagged.length > 0) failures.push(`${check.description}:\n    ${flagged.join('\n    ')}`);
        } catch (error) {
          if (!(error instanceof CommandError)) throw error;
          failures.push(`${check.description}: ${error.message.split('\n').slice(0, 8).join('\n    ')}`);
        }
      }
      if (failures.length > 0) {
        throw new UserError(`${failures.length} overlay check${failures.length > 1 ? 's' : ''} failed in the image:\n  ${failures.join('\n  ')}`, {
          hint: 'fix the overlay settings in mcdebian.yaml that the messages point at',
        });
      }
    },
  };
}

export function overlayOutputsStep(outputs: readonly OverlayOutput[], staging: string, out: string): Step {
  return {
    id: 'overlay-outputs',
    title: 'Write the overlays\' files for the far side',
    commands: [],
    writes: outputs.map((output) => join(out, output.path)),
    notes: outputs.map((output) => `${output.path}: ${output.description}`),
    run: () => writeOverlayOutputs(outputs, staging),
  };
}

/** Writes the far side's files under dir, each at `<overlay>/<file>`. */
export async function writeOverlayOutputs(outputs: readonly OverlayOutput[], dir: string): Promise<void> {
  for (const output of outputs) {
    const target = join(dir, output.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, output.content);
    await chmod(target, 0o644);
  }
}
