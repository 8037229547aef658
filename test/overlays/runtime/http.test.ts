import test from 'ava';
import { nestsDeeperThan } from '../../../overlays/runtime/http.js';

const depth = test.macro({
  exec(t, text: string, limit: number, deeper: boolean) {
    t.is(nestsDeeperThan(text, limit), deeper);
  },
  title: (given, text: string, limit: number, deeper: boolean) => `${given ?? JSON.stringify(text)} ${deeper ? 'nests deeper than' : 'stays within'} ${limit}`,
});

test(depth, '{"add": ["a.example"], "remove": []}', 2, false);
test(depth, '{"add": [["a.example"]]}', 2, true);
test(depth, '[]', 1, false);
test(depth, '"no nesting"', 0, false);
test('brackets inside strings do not count', depth, '{"add": ["[[[[{{{{"]}', 2, false);
test('an escaped quote does not end the string', depth, '{"add": ["a\\"[[[[["]}', 2, false);
test('an escaped backslash before the closing quote ends it', depth, '{"add": ["a\\\\", [[["x"]]]]}', 3, true);
test('a hundred thousand brackets', depth, `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 8, true);
