/**
 * Where `mcdebian boot` puts the guest's serial console and QEMU's monitor, and what it tells
 * the user about quitting. One definition, so the banner cannot drift from the argv.
 *
 * QEMU's Ctrl-A escapes (Ctrl-A X quits, Ctrl-A C switches to the monitor) exist only on a
 * multiplexed chardev (qemu-doc, "Keys in the character backend multiplexer"). `-nographic`
 * alone makes one, `mon:stdio`; but as soon as `-monitor` or `-serial` is given, -nographic
 * puts only the other one on a plain `stdio`, and the escapes are gone (QEMU's vl.c,
 * qemu_create_default_devices). So the terminal is always an explicit mux with the monitor on
 * it, and the console too unless it goes to a socket. `signal=off` passes Ctrl-C to the guest,
 * as -nographic's `mon:stdio` does (chardev/char.c, qemu_chr_parse_compat).
 */

/** The console and the monitor of a guest: on this terminal, or (detached) on sockets and a log. */
export type ConsoleOptions =
  | {
    mode: 'terminal';
    /** QEMU's monitor also on this unix socket (`system_reset` is a power cycle). */
    monitor?: string;
    /** The serial console on this unix socket; the terminal is then QEMU's monitor. */
    serialSocket?: string;
  }
  | {
    mode: 'detached';
    /** QEMU's monitor on this unix socket: how `boot --stop` powers the guest off. */
    monitor: string;
    /** The serial console on this unix socket, for a program or `socat` to attach to. */
    serialSocket: string;
    /** Every byte of the console, also when nothing is attached to the socket. */
    consoleLog: string;
  };

const unixServer = (path: string) => `unix:${path},server=on,wait=off`;

/** QEMU's display, serial and monitor options for these console options. */
export function consoleArgs(options: ConsoleOptions): string[] {
  if (options.mode === 'detached') {
    return [
      '-display', 'none',
      '-chardev', `socket,id=console,path=${options.serialSocket},server=on,wait=off,logfile=${options.consoleLog}`,
      '-serial', 'chardev:console',
      '-monitor', unixServer(options.monitor),
    ];
  }
  return [
    '-nographic',
    '-chardev', 'stdio,id=terminal,mux=on,signal=off',
    '-serial', options.serialSocket ? unixServer(options.serialSocket) : 'chardev:terminal',
    '-mon', 'chardev=terminal,mode=readline',
    ...(options.monitor ? ['-monitor', unixServer(options.monitor)] : []),
  ];
}

/** What the banner says about the console and how to quit, true to consoleArgs. */
export function describeConsole(options: ConsoleOptions): string {
  if (options.mode === 'detached') {
    return `the console is on unix:${options.serialSocket} and logged to ${options.consoleLog}; QEMU's monitor is on unix:${options.monitor}`;
  }
  const monitor = options.monitor ? `; QEMU's monitor is also on unix:${options.monitor}` : '';
  if (options.serialSocket) {
    return `the console is on unix:${options.serialSocket}; this terminal is QEMU's monitor: quit with "quit" or Ctrl-A X${monitor}`;
  }
  return `quit with Ctrl-A X (Ctrl-A C switches to QEMU's monitor and back)${monitor}`;
}
