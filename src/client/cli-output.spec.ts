import * as readline from 'node:readline';
import { PassThrough } from 'node:stream';
import { printAbove } from './cli-output';

/**
 * A terminal screen of `columns` that understands what readline writes: text with wrapping, \r, \n,
 * and the CSI sequences for cursor moves (A B C D G) and erasing (J, K).
 */
class Screen {
  readonly rows: string[] = [''];
  private row = 0;
  private col = 0;

  constructor(private readonly columns: number) {}

  write(data: string): void {
    const tokens = data.match(/\x1b\[\d*[A-Za-z]|[\s\S]/g) ?? [];
    for (const token of tokens) this.apply(token);
  }

  text(): string {
    return this.rows
      .map((row) => row.trimEnd())
      .join('\n')
      .trimEnd();
  }

  private apply(token: string): void {
    const csi = /^\x1b\[(\d*)([A-Za-z])$/.exec(token);
    if (!csi) return this.put(token);
    const n = csi[1] === '' ? undefined : Number(csi[1]);
    const line = this.rows[this.row];
    if (csi[2] === 'A') this.row = Math.max(0, this.row - (n ?? 1));
    else if (csi[2] === 'B') this.moveDown(n ?? 1);
    else if (csi[2] === 'C') this.col += n ?? 1;
    else if (csi[2] === 'D') this.col = Math.max(0, this.col - (n ?? 1));
    else if (csi[2] === 'G') this.col = (n ?? 1) - 1;
    else if (csi[2] === 'J') {
      // Erase from the cursor to the end of the screen.
      this.rows[this.row] = line.slice(0, this.col);
      this.rows.length = this.row + 1;
    } else if (csi[2] === 'K' && n === 2) this.rows[this.row] = '';
    else if (csi[2] === 'K' && n === undefined) this.rows[this.row] = line.slice(0, this.col);
    else throw new Error(`unexpected sequence ${JSON.stringify(token)}`);
  }

  private put(char: string): void {
    if (char === '\r') this.col = 0;
    else if (char === '\n') {
      this.moveDown(1);
      this.col = 0;
    } else {
      if (this.col >= this.columns) {
        this.moveDown(1);
        this.col = 0;
      }
      const line = this.rows[this.row].padEnd(this.col);
      this.rows[this.row] = line.slice(0, this.col) + char + line.slice(this.col + 1);
      this.col += 1;
    }
  }

  private moveDown(count: number): void {
    this.row += count;
    while (this.rows.length <= this.row) this.rows.push('');
  }
}

function terminal(columns: number) {
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { isTTY: true, columns });
  const screen = new Screen(columns);
  output.on('data', (chunk: Buffer) => screen.write(chunk.toString()));
  const rl = readline.createInterface({ input, output, prompt: '> ', terminal: true });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { input, output, screen, rl, settle };
}

describe('printAbove', () => {
  it.each([
    {
      title: 'prints above a prompt with a partly typed line and redraws both',
      typed: ['hello wor'],
      printed: '[12:00] alice: hi',
      typedAfter: 'ld',
      screen: '[12:00] alice: hi\n> hello world',
    },
    // The left arrow puts the cursor before the last letter: the next one lands there.
    {
      title: 'keeps the cursor inside the typed line where it was',
      typed: ['helo', '\x1b[D'],
      printed: 'news',
      typedAfter: 'l',
      screen: 'news\n> hello',
    },
  ])('$title', async ({ typed, printed, typedAfter, screen: expected }) => {
    const { input, output, screen, rl, settle } = terminal(40);
    rl.prompt();
    for (const keys of typed) input.write(keys);
    await settle();
    printAbove(rl, output, printed);
    input.write(typedAfter);
    await settle();
    expect(screen.text()).toBe(expected);
    rl.close();
  });

  it('keeps every row of the text when the typed line wraps over several rows', async () => {
    const { input, output, screen, rl, settle } = terminal(10);
    printAbove(rl, output, 'Connected.');
    input.write('abcdefghijklmnopqrst');
    await settle();
    printAbove(rl, output, 'one\ntwo');
    printAbove(rl, output, 'three');
    await settle();
    expect(screen.text()).toBe('Connected.\none\ntwo\nthree\n> abcdefgh\nijklmnopqr\nst');
    rl.close();
  });

  it('writes only the text without a terminal', () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const rl = readline.createInterface({ input, output, prompt: '> ', terminal: false });
    let written = '';
    output.on('data', (chunk: Buffer) => (written += chunk.toString()));
    printAbove(rl, output, 'line');
    rl.close();
    expect(written).toBe('line\n');
  });
});
