/** The overlay's config as mcdebian.yaml gives it: the schema and the checks beyond it. */
import test from 'ava';
import { getBoard } from '../../../board/index.js';
import { dnsBlacklist } from '../../../overlays/dns-blacklist/overlay.js';
import { dnsBlacklistSchema } from '../../../overlays/dns-blacklist/schema.js';
import type { ReadFile } from '../../../overlays/overlay.js';

const HASH = 'scrypt$32768$8$1$ADTSPetrTNydE7VQAIa/6Q==$YoICnOJE8CVY2/22AHgwD2xizc+oE8t6nWGKV85EbWc=\n';
const context = { board: getBoard('wrt1200ac') };
const hashFile: ReadFile = { field: ['api', 'passwordHash'], path: 'keys/hash', file: '/cfg/keys/hash', content: HASH, secret: true, generated: false };

test('an api.user with a colon is refused, naming RFC 7617', (t) => {
  const result = dnsBlacklistSchema.safeParse({ api: { passwordHash: 'keys/hash', user: 'ad:min' } });
  t.false(result.success);
  t.deepEqual(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message]), [
    ['api.user', 'contains ":", which HTTP Basic authentication cannot carry in a user name (RFC 7617, section 2)'],
  ]);
});

test('an api.user with a control character is refused', (t) => {
  const result = dnsBlacklistSchema.safeParse({ api: { passwordHash: 'keys/hash', user: 'admin\t' } });
  t.regex(result.error?.issues[0]?.message ?? '', /control character U\+0009/);
});

test('seed entries and seed file lines the API would refuse are named by field, index and line at plan time', (t) => {
  const config = dnsBlacklistSchema.parse({ api: { passwordHash: 'keys/hash' }, seed: ['ok.example', 'tracker_x.example', 'bad name.example', 'x.rpz.mcdebian'] });
  const seedFile: ReadFile = { field: ['seedFile'], path: 'hosts.txt', file: '/cfg/hosts.txt', content: '0.0.0.0 a_b.example\n0.0.0.0 bad;name.example\n', secret: false, generated: false };
  const issues = dnsBlacklist.validate?.({ ...config, seedFile: 'hosts.txt' }, [hashFile, seedFile], context) ?? [];
  t.deepEqual(issues, [
    { field: ['seed', 2], message: '"bad name.example" contains a space' },
    { field: ['seed', 3], message: '"x.rpz.mcdebian" is inside the block list\'s own zone rpz.mcdebian' },
    { field: ['seedFile'], message: 'hosts.txt has 1 invalid entries (line 2: contains ";"); fix or remove them' },
  ]);
});
