/**
 * A vote's id: 16 bytes, the table's primary key (BINARY(16)), which is what makes a replayed
 * journal count nothing twice (INSERT IGNORE skips a row whose key is there already).
 *
 * - A vote without an Idempotency-Key gets a UUIDv7 (RFC 9562 section 5.7): 48 bits of Unix
 *   milliseconds, then random bits. InnoDB stores a table in primary key order (the clustered
 *   index, MariaDB's "InnoDB Primary Keys"), so ids that grow with time are appended at the
 *   end of the tree instead of splitting pages all over it, as random ids would.
 * - A vote with a key gets SHA-256 of the poll and the key, cut to 16 bytes: a retry of the same
 *   request, to whichever worker or server, has the same id, and the database keeps one row.
 */
import { createHash, randomFillSync } from 'node:crypto';

/** Random bytes drawn in blocks: one getrandom(2) per 256 ids rather than one per id. */
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;

function randomBytes10(): Buffer {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 10);
  poolOffset += 10;
  return bytes;
}

/** A UUIDv7 for a vote taken at `now` (epoch ms), as 32 lower-case hex digits. */
export function newVoteId(now: number): string {
  const id = Buffer.alloc(16);
  id.writeUIntBE(now, 0, 6);
  randomBytes10().copy(id, 6);
  id[6] = 0x70 | (id[6]! & 0x0f); // version 7
  id[8] = 0x80 | (id[8]! & 0x3f); // variant 10
  return id.toString('hex');
}

/** The id of the vote an Idempotency-Key names in a poll, as 32 hex digits. */
export function keyedVoteId(poll: string, key: string): string {
  return createHash('sha256').update(poll).update('\0').update(key).digest().subarray(0, 16).toString('hex');
}

/** Whether text is an id as these functions make them. */
export const isVoteId = (text: unknown): text is string => typeof text === 'string' && /^[0-9a-f]{32}$/.test(text);
