/**
 * The CommandHost the CLI hands overlays' commands: the config loader (which knows every overlay,
 * so an overlay cannot import it) and flash's SSH connection, the one the project has.
 */
import { DeviceSession } from '../../flash/device-session.js';
import type { CommandHost } from '../../overlays/overlay.js';
import { loadConfig } from '../config/load.js';

export const commandHost: CommandHost = {
  loadConfig: (options) => loadConfig({ file: options.file, cwd: options.cwd }),
  connect: (address) => DeviceSession.connect(address),
};
