import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPublicHost, loadConfig } from './app-config';

describe('loadConfig PUBLIC_HOST', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is HOST when the server listens on one address', () => {
    expect(loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1' }).publicHost).toBe('127.0.0.1');
  });

  it('is the first outward address when the server listens on all of them', () => {
    expect(loadConfig({ DATA_DIR: dir }).publicHost).toBe(defaultPublicHost());
    expect(loadConfig({ DATA_DIR: dir, HOST: '::' }).publicHost).toBe(defaultPublicHost());
  });

  it('is what PUBLIC_HOST says when set', () => {
    expect(loadConfig({ DATA_DIR: dir, HOST: '127.0.0.1', PUBLIC_HOST: 'chat1.example.com' }).publicHost).toBe('chat1.example.com');
  });
});
