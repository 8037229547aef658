/**
 * callhome's section of mcdebian.yaml: the managed host, its pinned host key, the reverse port,
 * and the tunnel's timing; the private key is generated when none is given.
 */
import { z } from 'zod';
import { fileReference, hostOrAddress, port, seconds, unixUser } from '../../build/core/fields.js';

export const callhomeSchema = z.strictObject({
  host: hostOrAddress.describe('the managed host the tunnel goes to'),
  port: port('its SSH port').default(22),
  user: unixUser.default('callhome')
    .describe('the user the device logs in as on the managed host'),
  hostKey: fileReference('file with the managed host\'s public host key (its ssh_host_*.pub, or ssh-keyscan output): pinned, the build refuses without it'),
  remotePort: z.int().min(1024, { message: 'must be 1024 or more: only root may listen below 1024 on the managed host' }).max(65535)
    .describe('port on the managed host\'s loopback that leads back to the device\'s SSH server'),
  localPort: port('the device\'s SSH port the tunnel leads to').default(22),
  privateKey: fileReference('secret file with the tunnel\'s private key; generated at build when absent, as secrets/<config file name>/callhome-tunnel-key (secrets/mcdebian/ for mcdebian.yaml)').optional(),
  serverAliveInterval: seconds(1, 300, 'seconds between ssh keepalives through the tunnel').default(3),
  serverAliveCountMax: seconds(1, 10, 'unanswered keepalives before ssh gives the tunnel up').default(2),
  connectTimeout: seconds(1, 120, 'seconds to wait for the TCP connection and SSH handshake').default(10),
  restartSec: seconds(1, 600, 'seconds systemd waits before starting a new tunnel').default(1),
  clientAliveInterval: seconds(1, 300, 'managed host\'s sshd: seconds between keepalives to the device').default(3),
  clientAliveCountMax: seconds(1, 10, 'managed host\'s sshd: unanswered keepalives before it frees the tunnel\'s port').default(2),
});

export type CallhomeConfig = z.output<typeof callhomeSchema>;
