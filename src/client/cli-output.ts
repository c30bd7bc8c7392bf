import * as readline from 'node:readline';

/**
 * Writes text above the prompt and redraws the prompt with what was typed so far, the cursor where
 * it was. The prompt is cleared from its first row (the cursor may be rows below it when the typed
 * line wraps). readline's redraw (prompt(true)) first moves up the rows it last put the cursor below
 * that first row, its private `prevRows`, which lags behind when typing wraps without a redraw: the
 * text is followed by that many spare rows for it to move up over, instead of erasing the text's
 * last rows. Without a terminal (piped output) there is no prompt to keep.
 */
export function printAbove(rl: readline.Interface, output: NodeJS.WritableStream, text: string): void {
  if (!rl.terminal) {
    output.write(`${text}\n`);
    return;
  }
  const rows = rl.getCursorPos().rows;
  const redrawMovesUp = (rl as unknown as { prevRows?: unknown }).prevRows;
  readline.moveCursor(output, 0, -rows);
  readline.cursorTo(output, 0);
  readline.clearScreenDown(output);
  output.write(`${text}\n${'\n'.repeat(typeof redrawMovesUp === 'number' ? redrawMovesUp : rows)}`);
  rl.prompt(true);
}
