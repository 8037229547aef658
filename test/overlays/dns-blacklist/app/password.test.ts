import test from 'ava';
import { hashPassword, isPasswordHash, verifyPassword } from '../../../../overlays/dns-blacklist/app/password.js';

test('a hash line names scrypt and its parameters, salt and hash', async (t) => {
  const line = await hashPassword('correct horse');
  t.regex(line, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
  t.true(isPasswordHash(line));
});

test('the right password verifies and a wrong one does not', async (t) => {
  const line = await hashPassword('correct horse');
  t.true(await verifyPassword('correct horse', line));
  t.false(await verifyPassword('correct horse ', line));
  t.false(await verifyPassword('', line));
});

test('the same password hashes differently each time (fresh salt)', async (t) => {
  t.not(await hashPassword('x', { N: 1024, r: 8, p: 1 }), await hashPassword('x', { N: 1024, r: 8, p: 1 }));
});

test('other cost parameters are read from the line', async (t) => {
  const line = await hashPassword('pw', { N: 1024, r: 4, p: 2 });
  t.true(line.startsWith('scrypt$1024$4$2$'));
  t.true(await verifyPassword('pw', line));
});

test('composed and decomposed forms of a non-ASCII password are the same password', async (t) => {
  const line = await hashPassword('caf\u00e9', { N: 1024, r: 8, p: 1 });
  t.true(await verifyPassword('cafe\u0301', line));
});

test('an empty password cannot be hashed', async (t) => {
  await t.throwsAsync(hashPassword(''), { message: 'the password is empty' });
});

const malformed = test.macro({
  async exec(t, stored: string) {
    t.false(isPasswordHash(stored));
    t.false(await verifyPassword('pw', stored));
  },
  title: (given) => `a malformed hash line (${given}) verifies nothing`,
});

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA==';
const HASH = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=';
test('empty', malformed, '');
test('a plain password', malformed, 'pw');
test('bcrypt', malformed, '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234');
test('N not a power of two', malformed, `scrypt$1000$8$1$${SALT}$${HASH}`);
test('N asking for gigabytes', malformed, `scrypt$16777216$8$1$${SALT}$${HASH}`);
test('r out of range', malformed, `scrypt$1024$0$1$${SALT}$${HASH}`);
test('a missing field', malformed, `scrypt$1024$8$${SALT}$${HASH}`);
test('a salt that is not base64', malformed, `scrypt$1024$8$1$not*base64$${HASH}`);
test('a truncated hash', malformed, `scrypt$1024$8$1$${SALT}$aGFzaA==`);
