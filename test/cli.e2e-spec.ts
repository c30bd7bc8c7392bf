import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './helpers/instance';

const CLI = join(__dirname, '..', 'dist', 'client', 'cli.js');

/** Runs the console client to its end with this input; what it printed and how it exited. */
function run(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('console client command line', () => {
  it('--help prints the usage and connects to nothing', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run client -- [URL] [--help]');
    expect(result.stdout).not.toContain('Connect');
  });

  it('an unknown option is a usage error (exit 2)', async () => {
    const result = await run(['--nope']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--nope'");
    expect(result.stderr).toContain('Usage:');
  });

  it('a server that does not answer is named, with what to check (exit 1)', async () => {
    const url = `ws://127.0.0.1:${await freePort()}/ws`;
    const result = await run([url]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`Could not connect to ${url}`);
    expect(result.stdout).toContain('is the server running there');
  });
});
