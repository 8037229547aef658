/** `mcdebian boards [--json]`: every board with its architecture, kernel, DTB and flash budget. */
import { boards } from '../../board/index.js';
import type { Board } from '../../board/board.js';
import { flashPartition } from '../../board/flash.js';
import { formatSize } from '../config/size.js';
import { commonFlags, writeJson, type Command, type CommandContext, type ExitCode } from '../core/command.js';

/** The row `boards` shows for one board; `--json` adds the full board data. */
export function summariseBoard(board: Board) {
  const slot = board.kernelSlots?.[0];
  const kernelPartition = slot ? flashPartition(board, slot.partition) : undefined;
  return {
    id: board.id,
    name: board.name,
    arch: board.arch,
    kernel: board.kernel.package,
    dtb: board.dtb ? `${board.dtb.file} (${board.dtb.placement})` : '-',
    readWindow: board.kernelReadWindow ? formatSize(board.kernelReadWindow.bytes) + (board.kernelReadWindow.confirmed ? '' : ' (unconfirmed)') : '-',
    readSizeVariable: slot?.readSizeVariable ?? '-',
    kernelPartition: kernelPartition ? `${kernelPartition.name} ${formatSize(kernelPartition.size)}` : '-',
  };
}

export function runBoards(context: CommandContext, options: { json: boolean }): ExitCode {
  if (options.json) {
    writeJson(context, boards.map((board) => ({ ...board, summary: summariseBoard(board) })));
    return 0;
  }
  const rows = boards.map(summariseBoard);
  const header = { id: 'BOARD', name: 'NAME', arch: 'ARCH', kernel: 'KERNEL', dtb: 'DTB', readWindow: 'READ WINDOW', readSizeVariable: 'VARIABLE', kernelPartition: 'KERNEL PARTITION' };
  const columns = Object.keys(header) as (keyof typeof header)[];
  const widths = columns.map((column) => Math.max(header[column].length, ...rows.map((row) => row[column].length)));
  for (const row of [header, ...rows]) {
    context.stdout.write(`${columns.map((column, i) => row[column].padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
  }
  return 0;
}

export const boardsCommand: Command = {
  summary: 'list the boards, with kernel read window and kernel partition',
  usage: 'mcdebian boards [--json]',
  flags: { json: commonFlags.json },
  run: (context, values) => runBoards(context, { json: values.json === true }),
};
