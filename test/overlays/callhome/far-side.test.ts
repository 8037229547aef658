import test from 'ava';
import { listenPorts, parseAuthorizedKeysLine, planAuthorizedKeys, type AuthorizedKeysWanted } from '../../../overlays/callhome/far-side.js';

const NEW = 'AAAAC3NzaC1lZDI1NTE5AAAAIApGJq8wwHKZ+S4uLnoQgK2/hEQEf8zw6YlHPlAg+DmF';
const OLD = 'AAAAC3NzaC1lZDI1NTE5AAAAIGx1bW1veS1rZXktZm9yLXRlc3RzLW9ubHktMDAwMDAw';
const OTHER = 'AAAAC3NzaC1lZDI1NTE5AAAAIE9USEVSLWRldmljZS1rZXktZm9yLXRlc3RzLTAwMDAw';
const options = (port: number) => `restrict,port-forwarding,permitlisten="localhost:${port}",command="/bin/false"`;
const line = (port: number, key: string, comment = 'mcdebian-callhome@gw1') => `${options(port)} ssh-ed25519 ${key} ${comment}`;
const wanted = (extra: Partial<AuthorizedKeysWanted> = {}): AuthorizedKeysWanted => ({ line: `${line(5000, NEW)}\n`, remotePort: 5000, force: false, ...extra });

test('an authorized_keys line splits into options, type and key, quotes and all', (t) => {
  t.deepEqual(parseAuthorizedKeysLine(`command="echo a b, c",from="10.0.0.1" ssh-ed25519 ${NEW} x y`), { options: 'command="echo a b, c",from="10.0.0.1"', type: 'ssh-ed25519', base64: NEW });
  t.deepEqual(parseAuthorizedKeysLine(`ssh-rsa ${NEW}`), { options: '', type: 'ssh-rsa', base64: NEW });
  t.is(parseAuthorizedKeysLine('# a comment'), undefined);
  t.is(parseAuthorizedKeysLine('   '), undefined);
  t.is(parseAuthorizedKeysLine('garbage here'), undefined);
});

test('permitlisten ports are read in each form sshd takes', (t) => {
  t.deepEqual(listenPorts('restrict,permitlisten="localhost:5000",permitlisten="6000",PermitListen="*:7000",command="a,permitlisten=1"'), [5000, 6000, 7000]);
});

const plans = test.macro({
  exec(t, current: string, given: Partial<AuthorizedKeysWanted>, expected: { content?: string; adds: boolean; kept?: string[]; conflicts?: string[]; removed?: string[] }) {
    const plan = planAuthorizedKeys(current, wanted(given));
    t.is(plan.content, expected.content);
    t.deepEqual([plan.adds, plan.kept, plan.conflicts, plan.removed], [expected.adds, expected.kept ?? [], expected.conflicts ?? [], expected.removed ?? []]);
  },
  title: (given) => `authorized_keys: ${given}`,
});

test('an empty file gets the tunnel\'s line', plans, '', {}, { content: `${line(5000, NEW)}\n`, adds: true });
test('other devices\' lines and comments stay as they are, the line goes last', plans, `# fleet\n${line(5001, OTHER)}\n`, {},
  { content: `# fleet\n${line(5001, OTHER)}\n${line(5000, NEW)}\n`, adds: true });
test('the line already there changes nothing, whatever its comment', plans, `${line(5000, NEW, 'mcdebian-callhome@old-name')}\n`, {}, { content: undefined, adds: false });
test('another key on the tunnel\'s port is a conflict, and nothing changes without force', plans, `${line(5000, OTHER)}\n`, {},
  { content: undefined, adds: true, conflicts: [line(5000, OTHER)] });
test('the tunnel\'s key with other options is a conflict', plans, `${line(4000, NEW)}\n`, {}, { content: undefined, adds: true, conflicts: [line(4000, NEW)] });
test('with force, the conflicts go and the line comes', plans, `${line(5001, OTHER)}\n${line(5000, OTHER)}\n${line(4000, NEW)}\n`, { force: true },
  { content: `${line(5001, OTHER)}\n${line(5000, NEW)}\n`, adds: true, conflicts: [line(5000, OTHER), line(4000, NEW)], removed: [line(5000, OTHER), line(4000, NEW)] });
test('the key a rotation replaced keeps its line beside the new one', plans, `${line(5000, OLD)}\n`, { previousKey: OLD },
  { content: `${line(5000, OLD)}\n${line(5000, NEW)}\n`, adds: true, kept: [line(5000, OLD)] });
test('with force, the replaced key\'s line goes', plans, `${line(5000, OLD)}\n${line(5000, NEW)}\n`, { previousKey: OLD, force: true },
  { content: `${line(5000, NEW)}\n`, adds: false, kept: [line(5000, OLD)], removed: [line(5000, OLD)] });
