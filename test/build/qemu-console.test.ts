import test from 'ava';
import { consoleArgs, describeConsole, type ConsoleOptions } from '../../build/qemu-console.js';

/** What a terminal-mode argv does, read back from the argv: the facts the banner must match. */
function readTerminal(args: string[]) {
  const chardev = args[args.indexOf('-chardev') + 1] ?? '';
  const serial = args[args.indexOf('-serial') + 1];
  const monitors = args.flatMap((arg, index) => (arg === '-mon' || arg === '-monitor' ? [args[index + 1]] : []));
  return {
    // Ctrl-A escapes exist only on a mux chardev
    escapes: args.includes('-chardev') && chardev.startsWith('stdio,') && chardev.includes('mux=on'),
    consoleOnTerminal: serial === 'chardev:terminal',
    monitorOnTerminal: monitors.includes('chardev=terminal,mode=readline'),
    monitorSockets: monitors.filter((monitor) => monitor?.startsWith('unix:')),
  };
}

const terminal = test.macro({
  exec(t, options: ConsoleOptions & { mode: 'terminal' }) {
    const facts = readTerminal(consoleArgs(options));
    const banner = describeConsole(options);
    t.true(facts.escapes, 'the terminal is a mux, so Ctrl-A X quits');
    t.true(facts.monitorOnTerminal, 'Ctrl-A C reaches a monitor');
    t.regex(banner, /Ctrl-A X/);
    t.is(facts.consoleOnTerminal, options.serialSocket === undefined);
    t.is(/this terminal is QEMU's monitor/.test(banner), !facts.consoleOnTerminal);
    if (options.serialSocket) t.true(consoleArgs(options).includes(`unix:${options.serialSocket},server=on,wait=off`));
    t.deepEqual(facts.monitorSockets, options.monitor ? [`unix:${options.monitor},server=on,wait=off`] : []);
    t.is(banner.includes(`unix:${options.monitor}`), options.monitor !== undefined);
  },
  title: (_, options: ConsoleOptions & { mode: 'terminal' }) =>
    `on the terminal${options.monitor ? ' with --monitor' : ''}${options.serialSocket ? ' with --serial-socket' : ''}, Ctrl-A X quits and the banner says where console and monitor are`,
});

test(terminal, { mode: 'terminal' });
test(terminal, { mode: 'terminal', monitor: '/w/monitor' });
test(terminal, { mode: 'terminal', serialSocket: '/w/console' });
test(terminal, { mode: 'terminal', monitor: '/w/monitor', serialSocket: '/w/console' });

test('on the terminal Ctrl-C goes to the guest, as with -nographic alone', (t) => {
  t.true(consoleArgs({ mode: 'terminal', monitor: '/w/monitor' }).includes('stdio,id=terminal,mux=on,signal=off'));
});

test('detached, nothing uses stdio: the console goes to a socket and a log, the monitor to a socket', (t) => {
  const options: ConsoleOptions = { mode: 'detached', monitor: '/run/m.sock', serialSocket: '/run/c.sock', consoleLog: '/run/console.log' };
  const args = consoleArgs(options);
  t.deepEqual(args, [
    '-display', 'none',
    '-chardev', 'socket,id=console,path=/run/c.sock,server=on,wait=off,logfile=/run/console.log',
    '-serial', 'chardev:console',
    '-monitor', 'unix:/run/m.sock,server=on,wait=off',
  ]);
  t.false(args.some((arg) => arg.includes('stdio') || arg === '-nographic'));
  t.notRegex(describeConsole(options), /Ctrl-A/);
});
