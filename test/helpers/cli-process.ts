import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'dist', 'client', 'cli.js');

/** The console client as a user runs it, a child process fed line by line; what it printed so far. */
export class CliProcess {
  output = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(url: string, options: string[] = []) {
    this.child = spawn(process.execPath, [CLI, url, ...options], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
  }

  type(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  /** Waits until the output holds `text` (`count` times), and returns the output. */
  async waitFor(text: string, timeoutMs = 10000, count = 1): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.output.split(text).length - 1 < count) {
      if (Date.now() > deadline) {
        throw new Error(`console client did not print ${JSON.stringify(text)} in ${timeoutMs} ms; it printed:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.output;
  }

  /** Types quit and waits for the process to end. */
  async quit(): Promise<number | null> {
    this.child.stdin.end('quit\n');
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
