/** The board catalogue: every board McDebian builds for, looked up by id. */
import { UserError } from '../build/core/errors.js';
import { didYouMean } from '../overlays/runtime/suggest.js';
import type { Board } from './board.js';
import { qemuArmhf } from './qemu-armhf.js';
import { wrt1200ac } from './wrt1200ac.js';
import { wrt1900acV1 } from './wrt1900ac-v1.js';
import { wrt1900acV2 } from './wrt1900ac-v2.js';
import { wrt1900acs } from './wrt1900acs.js';
import { wrt3200acm } from './wrt3200acm.js';
import { x8664 } from './x86-64.js';

export type { Board } from './board.js';

/** Every board, in the order `mcdebian boards` lists them. */
export const boards: readonly Board[] = [wrt1200ac, wrt1900acV1, wrt1900acV2, wrt1900acs, wrt3200acm, qemuArmhf, x8664];

export const boardIds: readonly string[] = boards.map((board) => board.id);

/** The board with this id; a UserError naming the known ids otherwise. */
export function getBoard(id: string): Board {
  const board = boards.find((candidate) => candidate.id === id);
  if (board) return board;
  throw new UserError(`unknown board "${id}"${didYouMean(id, boardIds)}`, {
    hint: `choose one of: ${boardIds.join(', ')} (mcdebian boards lists them)`,
  });
}
