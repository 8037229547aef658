/**
 * `mcdebian vpn-azure status --host H [--json]`: over SSH to a device (the same flags and session
 * as `mcdebian status`), runs the device's `mcdebian-vpn-azure status --json` and prints its
 * report, as text or as the device's JSON. The exit code is the device tool's: 0 every tunnel
 * up, 3 some tunnel down, 1 charon not reachable.
 */
import { UserError } from '../../build/core/errors.js';
import { commonFlags, type CommandContext, type CommandGroup, type ExitCode } from '../../build/core/command.js';
import { deviceAddressOf, deviceFlags, type DeviceLogin } from '../../build/core/device-flags.js';
import type { CommandHost, RemoteShell } from '../overlay.js';
import { describeStatus } from './app/describe-status.js';
import type { VpnStatus } from './app/tunnel-status.js';
import { DEVICE_TOOL } from './status.js';

async function connect(host: CommandHost, address: DeviceLogin): Promise<RemoteShell> {
  try {
    return await host.connect(address);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot log in to ${address.user}@${address.host}:${address.port} over SSH: ${(error as Error).message}`, {
      hint: 'check --host and --port, that the device is up, and the key (--identity FILE, or an ssh-agent)',
      cause: error,
    });
  }
}

/** What the device tool printed, as a report, or the error it gave. */
function reportOf(result: { code: number; stdout: string; stderr: string }, address: DeviceLogin): VpnStatus {
  let report: Partial<VpnStatus> & { error?: string; hint?: string };
  try {
    report = JSON.parse(result.stdout) as typeof report;
  } catch {
    const said = (result.stderr || result.stdout).trim().split('\n').slice(-2).join(' ');
    throw new UserError(`${DEVICE_TOOL} status on ${address.host} exited ${result.code}${said ? `: ${said}` : ''}`, {
      hint: result.code === 127 ? 'the device\'s image has no vpn-azure overlay' : 'run it on the device to see more',
    });
  }
  if (!Array.isArray(report.tunnels)) throw new UserError(`${address.host}: ${report.error ?? 'the status tool gave no tunnels'}`, { hint: report.hint ?? 'systemctl status strongswan' });
  return report as VpnStatus;
}

export async function runVpnStatus(context: CommandContext, host: CommandHost, options: { address: DeviceLogin; json: boolean }): Promise<ExitCode> {
  const session = await connect(host, options.address);
  let result;
  try {
    result = await session.exec(`${DEVICE_TOOL} status --json`);
  } finally {
    await session.end();
  }
  const report = reportOf(result, options.address);
  context.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : describeStatus(report));
  return result.code === 0 || result.code === 3 ? result.code : 1;
}

export function vpnAzureCommands(host: CommandHost): CommandGroup {
  return {
    summary: 'status: each tunnel\'s IKE and CHILD state, proposals, bytes and last rekey on a device, over SSH',
    expected: 'status',
    subcommands: {
      status: {
        summary: 'over SSH to a device: each tunnel\'s state, negotiated proposals, bytes, last rekey, routes, and why a tunnel is down (exit 3 when one is; 1 when charon is not reachable)',
        usage: 'mcdebian vpn-azure status --host H [--port N] [--user U] [--identity FILE] [--known-hosts FILE [--accept-new-host-key]] [--json]',
        flags: { ...deviceFlags, json: commonFlags.json },
        run: (context, values) => runVpnStatus(context, host, { address: deviceAddressOf(context, values, 'vpn-azure status'), json: values.json === true }),
      },
    },
  };
}
