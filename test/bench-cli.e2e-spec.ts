import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './helpers/instance';

const BENCH = join(__dirname, '..', 'bench');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a bench script to its end; what it printed and how it exited. */
function run(script: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(BENCH, script), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench command line', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists the scenarios S1 to S6 and the options, and starts nothing', async () => {
    const result = await run('run.js', ['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: npm run bench -- [SCENARIO...] [OPTIONS]');
    for (const name of ['S1', 'S2', 'S3', 'S4', 'S5', 'S6']) expect(result.stdout).toMatch(new RegExp(`^  ${name}  `, 'm'));
    const options = ['--quick', '--out FILE', '--budget SECONDS', '--targets LIST', '--set KEY=N'];
    options.push('--sizes LIST', '--modes LIST', '--embedded-messages N', '--conversations', '-h, --help');
    for (const option of options) expect(result.stdout).toContain(option);
    expect(result.stdout).not.toContain('[bench');
  });

  it.each([
    [['--nope'], "Unknown option '--nope'"],
    [['S1', 'S7'], 'Unknown scenario "S7" (S1 to S6)'],
    [['S1', '--budget', 'soon'], '--budget soon: not a number of seconds'],
    [['S1', '--set', 'nothing=1'], '--set nothing=1: not KEY=N with a known key'],
    [['S1', '--sizes', '10000'], '--sizes is an S6 option'],
    [['S1', '--conversations'], '--conversations is an S6 option'],
    [['S6', '--quick'], '--quick is not an S6 option'],
    [['S6', 'S1'], 'S6 runs on its own, without S1'],
  ])('%j is a usage error (exit 2) that names the argument', async (args, message) => {
    const result = await run('run.js', args);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`bench: ${message}`);
    expect(result.stderr).toContain('Usage: npm run bench');
    expect(result.stdout).toBe('');
  });

  it('names PostgreSQL and Redis when they do not answer, with what to check, and writes no report (exit 1)', async () => {
    const database = `postgres://postgres:hidden@127.0.0.1:${await freePort()}/postgres`;
    const redis = `redis://127.0.0.1:${await freePort()}`;
    const out = join(dir, 'report.md');
    const result = await run('run.js', ['S1', '--out', out], { BENCH_DATABASE_URL: database, BENCH_REDIS_URL: redis });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`PostgreSQL is not reachable at ${database.replace('hidden', '***')} (connect ECONNREFUSED`);
    expect(result.stderr).toContain('set BENCH_DATABASE_URL');
    expect(result.stderr).toContain(`Redis is not reachable at ${redis} (connect ECONNREFUSED`);
    expect(result.stderr).toContain('set BENCH_REDIS_URL');
    expect(result.stderr).not.toContain('hidden');
    expect(existsSync(out)).toBe(false);
  });

  it('S6 checks PostgreSQL before it seeds anything (exit 1)', async () => {
    const database = `postgres://postgres@127.0.0.1:${await freePort()}/postgres`;
    const out = join(dir, 's6.md');
    const result = await run('run.js', ['S6', '--modes', 'cluster', '--out', out], { BENCH_DATABASE_URL: database });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`PostgreSQL is not reachable at ${database}`);
    expect(existsSync(out)).toBe(false);
  });

  it('bench/load.js: --help (exit 0), an unknown option or no config (exit 2), a config it cannot read (exit 1)', async () => {
    const help = await run('load.js', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: node bench/load.js CONFIG.json');
    const unknown = await run('load.js', ['--nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("load: Unknown option '--nope'");
    const none = await run('load.js', []);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('load: one CONFIG.json, got 0');
    const missing = join(dir, 'missing.json');
    const unreadable = await run('load.js', [missing]);
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toContain(`load: cannot read the config ${missing}: ENOENT`);
  });
});
