import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './app-config';
import { loadDotEnv } from './dot-env';

describe('loadDotEnv', () => {
  const names = ['DOT_ENV_SPEC_A', 'DOT_ENV_SPEC_B'];
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dot-env-'));
    for (const name of names) delete process.env[name];
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const name of names) delete process.env[name];
  });

  it('loads the file, and what the environment sets wins', () => {
    writeFileSync(join(dir, '.env'), '# comment\nDOT_ENV_SPEC_A=from-file\nDOT_ENV_SPEC_B="from file"\n');
    process.env.DOT_ENV_SPEC_B = 'from-environment';
    expect(loadDotEnv(dir)).toBe(join(dir, '.env'));
    expect(process.env.DOT_ENV_SPEC_A).toBe('from-file');
    expect(process.env.DOT_ENV_SPEC_B).toBe('from-environment');
  });

  it('a file that cannot be read is a configuration error', () => {
    mkdirSync(join(dir, '.env'));
    expect(() => loadDotEnv(dir)).toThrow(ConfigError);
  });

  it('does nothing without a file', () => {
    expect(loadDotEnv(dir)).toBeNull();
    expect(process.env.DOT_ENV_SPEC_A).toBeUndefined();
  });
});
