import test from 'ava';
import { resolve } from 'node:path';
import { parseKannelConf, unquoteValue, type ParsedConf } from '../../../../overlays/smpp-relay/app/kannel-conf.js';

const MAIN = '/etc/kannel/kannel.conf';

/** A readFile over in-memory files that fails as fs.readFileSync does. */
function fakeFiles(files: Record<string, string>): (path: string) => string {
  return (path) => {
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
    return text;
  };
}

function parse(text: string, files: Record<string, string> = {}, directories: Record<string, string[]> = {}): ParsedConf {
  return parseKannelConf(text, { file: MAIN, readFile: fakeFiles(files), listDirectory: (path) => directories[path] });
}

/** Each group as `name: key=value@line ...`, for compact expectations. */
function outline(parsed: ParsedConf): string[] {
  return parsed.groups.map((group) => `${group.name}@${group.origin.line}: ${group.entries.map((entry) => `${entry.key}=${entry.value}@${entry.origin.line}`).join(' ')}`);
}

const messages = (parsed: ParsedConf) => parsed.issues.map((issue) => `${issue.severity} ${issue.file}:${issue.line} ${issue.message}`);

test('groups collect key = value lines until a blank line, each key with its file and line', (t) => {
  const parsed = parse('# comment\ngroup = core\nadmin-port = 13000\n  admin-password=bar  \n\n\ngroup = smsbox\nsendsms-port = 13013\n');
  t.deepEqual(outline(parsed), ['core@2: admin-port=13000@3 admin-password=bar@4', 'smsbox@7: sendsms-port=13013@8']);
  t.deepEqual(parsed.groups[0]?.entries[0]?.origin, { file: MAIN, line: 3 });
  t.deepEqual(parsed.issues, []);
});

test('a comment is a whole line, and does not end a group', (t) => {
  const parsed = parse('group = core\n# the status port\n   # indented\nadmin-port = 13000\n');
  t.deepEqual(outline(parsed), ['core@1: admin-port=13000@4']);
});

const unquotes = test.macro({
  exec(t, raw: string, expected: string) {
    t.is(unquoteValue(raw), expected);
  },
  title: (given, raw: string, expected: string) => given ?? `${JSON.stringify(raw)} is read as ${JSON.stringify(expected)}`,
});

test(unquotes, '  plain value  ', 'plain value');
test(unquotes, '"quoted value"', 'quoted value');
test(unquotes, '""', '');
test(unquotes, '"a \\"quote\\" and a \\\\ backslash"', 'a "quote" and a \\ backslash');
test('other escapes stay as written', unquotes, '"%s\\n\\t"', '%s\\n\\t');
test('a value with quotes inside but not around is kept whole', unquotes, '"a" b', '"a" b');
test('quotes keep the spaces inside them', unquotes, '" padded "', ' padded ');
test('a line\'s last backslash inside quotes is kept', unquotes, '"end\\"', 'end\\');

test('a # after a value is part of the value, with a warning (Kannel has no end-of-line comments)', (t) => {
  const parsed = parse('group = core\nadmin-port = 13000 # status\nadmin-password = "a # b"\n');
  t.deepEqual(outline(parsed), ['core@1: admin-port=13000 # status@2 admin-password=a # b@3']);
  t.deepEqual(messages(parsed), [`warning ${MAIN}:2 admin-port: the value "13000 # status" contains "#": Kannel has no end-of-line comments, so it is part of the value`]);
});

test('a line ending in a backslash continues on the next; later lines keep their own numbers', (t) => {
  const parsed = parse('group = sendsms-user\ndlr-url = "http://a/\\\n?x=1\\\n&y=2"\nusername = u\n');
  t.deepEqual(outline(parsed), ['sendsms-user@1: dlr-url=http://a/?x=1&y=2@2 username=u@5']);
});

test('a line ending in two backslashes ends there, with one backslash', (t) => {
  const parsed = parse('group = core\nadmin-password = a\\\\\nadmin-port = 1\n');
  t.deepEqual(outline(parsed), ['core@1: admin-password=a\\@2 admin-port=1@3']);
});

test('CRLF line endings read like LF ones', (t) => {
  const parsed = parse('group = core\r\nadmin-port = 13000\r\n\r\ngroup = smsbox\r\nsendsms-port = "13013"\r\n');
  t.deepEqual(outline(parsed), ['core@1: admin-port=13000@2', 'smsbox@4: sendsms-port=13013@5']);
});

test('keys before "group =" in the same block belong to that group, as in Kannel', (t) => {
  const parsed = parse('admin-port = 13000\ngroup = core\n');
  t.deepEqual(outline(parsed), ['core@2: admin-port=13000@1']);
});

test('"group =" inside a group starts a new one, with a warning that Kannel would merge them', (t) => {
  const parsed = parse('group = core\nadmin-port = 13000\ngroup = smsbox\nsendsms-port = 13013\n');
  t.deepEqual(outline(parsed), ['core@1: admin-port=13000@2', 'smsbox@3: sendsms-port=13013@4']);
  t.deepEqual(messages(parsed), [`warning ${MAIN}:3 group = smsbox follows group core without a blank line: Kannel would read both as one group; put a blank line before it`]);
  t.is(parsed.issues[0]?.group, 'core');
});

test('a repeated key keeps its last value, with a warning naming the first', (t) => {
  const parsed = parse('group = core\nadmin-port = 1\nadmin-password = x\nadmin-port = 2\n');
  t.deepEqual(outline(parsed), ['core@1: admin-password=x@3 admin-port=2@4']);
  t.deepEqual(messages(parsed), [`warning ${MAIN}:4 admin-port is set again (first at ${MAIN}:2): the last value counts, as in Kannel`]);
  t.is(parsed.issues[0]?.key, 'admin-port');
});

test('lines without a group are an error and are dropped', (t) => {
  const parsed = parse('admin-port = 13000\nadmin-password = bar\n\ngroup = core\n');
  t.deepEqual(outline(parsed), ['core@4: ']);
  t.deepEqual(messages(parsed), [`error ${MAIN}:1 these lines belong to no group: a group starts with "group = name" and ends at a blank line`]);
});

test('a line without "=" is an error naming its line; reading goes on', (t) => {
  const parsed = parse('group = core\nadmin-port 13000\nadmin-password = bar\n');
  t.deepEqual(outline(parsed), ['core@1: admin-password=bar@3']);
  t.deepEqual(messages(parsed), [`error ${MAIN}:2 "admin-port 13000" has no "=": every line is "key = value", a comment starting with #, or blank`]);
  t.is(parsed.issues[0]?.group, 'core');
});

test('include reads a file relative to the including one, in place; its keys name it', (t) => {
  const parsed = parse('group = core\nadmin-port = 1\n\ninclude = "conf.d/users.conf"\n\ngroup = smsbox\nsendsms-port = 2\n', {
    '/etc/kannel/conf.d/users.conf': '# accounts\ngroup = sendsms-user\nusername = u\ninclude = "more.conf"\n',
    '/etc/kannel/conf.d/more.conf': 'group = sendsms-user\nusername = v\n',
  });
  t.deepEqual(outline(parsed), ['core@1: admin-port=1@2', 'sendsms-user@2: username=u@3', 'sendsms-user@1: username=v@2', 'smsbox@6: sendsms-port=2@7']);
  t.deepEqual(parsed.groups[1]?.origin, { file: '/etc/kannel/conf.d/users.conf', line: 2 });
  t.deepEqual(parsed.groups[2]?.entries[0]?.origin, { file: '/etc/kannel/conf.d/more.conf', line: 2 });
});

test('an include inside a group adds to it, and the included file\'s end ends the group (cfg.c)', (t) => {
  const parsed = parse('group = core\ninclude = /etc/kannel/ports.conf\nadmin-password = bar\n', { '/etc/kannel/ports.conf': 'admin-port = 13000' });
  t.deepEqual(outline(parsed), ['core@1: admin-port=13000@1']);
  t.deepEqual(messages(parsed), [`error ${MAIN}:3 these lines belong to no group: a group starts with "group = name" and ends at a blank line`]);
});

test('an included directory is read file by file, in name order', (t) => {
  const parsed = parse('include = "users"\n', {
    '/etc/kannel/users/b.conf': 'group = sendsms-user\nusername = b\n',
    '/etc/kannel/users/a.conf': 'group = sendsms-user\nusername = a\n',
  }, { '/etc/kannel/users': ['b.conf', 'a.conf'] });
  t.deepEqual(outline(parsed), ['sendsms-user@1: username=a@2', 'sendsms-user@1: username=b@2']);
});

const refusedInclude = test.macro({
  exec(t, files: Record<string, string>, expected: string) {
    const parsed = parse(files[MAIN] ?? '', files);
    t.deepEqual(messages(parsed), [expected]);
    t.is(parsed.issues[0]?.key, 'include');
  },
  title: (given) => `an include ${given} is an error naming the line`,
});

test('of a file that includes itself', refusedInclude, { [MAIN]: 'include = kannel.conf\n' },
  `error ${MAIN}:1 include loop: ${MAIN} -> ${MAIN}`);
test('loop through two files', refusedInclude, { [MAIN]: 'include = a.conf\n', '/etc/kannel/a.conf': 'include = "/etc/kannel/kannel.conf"\n' },
  `error /etc/kannel/a.conf:1 include loop: ${MAIN} -> /etc/kannel/a.conf -> ${MAIN}`);
test('of a file already included', refusedInclude, { [MAIN]: 'include = a.conf\n\ninclude = a.conf\n', '/etc/kannel/a.conf': '# nothing\n' },
  `error ${MAIN}:3 /etc/kannel/a.conf is already included at ${MAIN}:1; Kannel refuses to read a file twice`);
test('of a missing file', refusedInclude, { [MAIN]: 'include = "missing.conf"\n' },
  `error ${MAIN}:1 cannot read the included file /etc/kannel/missing.conf: ENOENT: no such file or directory, open '/etc/kannel/missing.conf'`);
test('without a file name', refusedInclude, { [MAIN]: 'include = ""\n' }, `error ${MAIN}:1 include names no file`);

test('an include loop back to a main file named by a relative path is found', (t) => {
  const readFile = fakeFiles({ [resolve('a.conf')]: 'include = kannel.conf\n' });
  const parsed = parseKannelConf('include = a.conf\n', { file: 'kannel.conf', readFile });
  t.deepEqual(parsed.issues.map((issue) => issue.message), [`include loop: ${resolve('kannel.conf')} -> ${resolve('a.conf')} -> ${resolve('kannel.conf')}`]);
});

test('an empty text has no groups and no issues', (t) => {
  t.deepEqual(parse(''), { groups: [], issues: [] });
});
