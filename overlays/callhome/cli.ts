/**
 * callhome's commands: `mcdebian callhome install-host` puts the managed host's side in place
 * over SSH; `mcdebian callhome rotate-key` makes a new tunnel key, only when asked.
 */
import { commonFlags, stringFlag, UsageError, type CommandGroup } from '../../build/core/command.js';
import type { CommandHost } from '../overlay.js';
import { runInstallHost } from './install-host.js';
import { runRotateKey } from './rotate-key.js';

const configFlag = { ...commonFlags.config, description: 'mcdebian.yaml with the callhome overlay' };

export function callhomeCommands(host: CommandHost): CommandGroup {
  return {
    summary: 'install-host: put the managed host\'s side of the tunnel in place over SSH; rotate-key: make a new tunnel key',
    expected: 'install-host or rotate-key',
    subcommands: {
      'install-host': {
        summary: 'over SSH to the managed host: the tunnel user, its authorized_keys line, the sshd_config lines (sshd -t, then reload); idempotent',
        usage: 'mcdebian callhome install-host --host HQ -c FILE [--user root] [--identity F] [--known-hosts F [--accept-new-host-key]]\n  [--force] [--dry-run] [--json]',
        flags: {
          host: { type: 'string', value: 'HQ', description: 'the managed host\'s address (its SSH port is overlays.callhome.port)' },
          config: configFlag,
          user: { type: 'string', value: 'NAME', description: 'who logs in: root, or a user who may sudo without a password (default root)' },
          identity: { type: 'string', value: 'F', description: 'private key to log in with (default: the ssh-agent, then ~/.ssh/id_ed25519 or id_rsa)' },
          'known-hosts': { type: 'string', value: 'F', description: 'check the host key against this known_hosts file, not against the config\'s hostKey' },
          'accept-new-host-key': { type: 'boolean', description: 'with --known-hosts: accept a host key that file does not list' },
          force: { type: 'boolean', description: 'replace what the host has for this tunnel when it differs (another key on its port, other sshd_config lines)' },
          'dry-run': { type: 'boolean', description: 'read the host and say what would change; change nothing' },
          json: commonFlags.json,
        },
        run: (context, values) => {
          const [target, file] = [stringFlag(values, 'host'), stringFlag(values, 'config')];
          if (target === undefined || file === undefined) throw new UsageError('callhome install-host needs --host HQ and -c FILE', 'the config is the one the device was built from');
          const knownHosts = stringFlag(values, 'known-hosts');
          if (values['accept-new-host-key'] === true && knownHosts === undefined) {
            throw new UsageError('--accept-new-host-key goes with --known-hosts F', 'without --known-hosts, the host key is checked against the config\'s overlays.callhome.hostKey');
          }
          return runInstallHost(context, host, {
            file, host: target, login: stringFlag(values, 'user') ?? 'root', identity: stringFlag(values, 'identity'), knownHosts,
            acceptNewHostKey: values['accept-new-host-key'] === true, force: values.force === true, dryRun: values['dry-run'] === true, json: values.json === true,
          });
        },
      },
      'rotate-key': {
        summary: 'make a new tunnel key pair, keep the old one beside it as .old, and print the managed host\'s new files and the steps that follow',
        usage: 'mcdebian callhome rotate-key -c FILE [--json]',
        flags: { config: configFlag, json: commonFlags.json },
        run: (context, values) => {
          const file = stringFlag(values, 'config');
          if (file === undefined) throw new UsageError('callhome rotate-key needs -c FILE');
          return runRotateKey(context, host, { file, json: values.json === true });
        },
      },
    },
  };
}
