import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

describe('loadConfig PUBLIC_URL', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is unset by default: the instance builds ws://PUBLIC_HOST:PORT/ws once it listens', () => {
    expect(loadConfig({ DATA_DIR: dir }).publicUrl).toBeUndefined();
  });

  it('takes ws:// and wss:// URLs with a host, an optional port and path', () => {
    for (const url of ['wss://chat1.example.com/ws', 'ws://localhost:9093/ws', 'wss://chat.example.com', 'ws://[::1]:9092/chat/ws']) {
      expect(loadConfig({ DATA_DIR: dir, PUBLIC_URL: url }).publicUrl).toBe(url);
    }
  });

  it('refuses anything else, naming the variable', () => {
    const refused = ['http://chat.example.com/ws', 'chat1:9092', 'ws:///ws', 'ws://:9092/ws', 'ws://host:99999/ws'];
    const problem = 'PUBLIC_URL must be a ws:// or wss:// URL with a host, an optional port and path, such as wss://chat1.example.com/ws';
    for (const url of [...refused, 'wss://user:pw@host/ws', 'ws://host/ws?x=1', 'ws://host/ws#a']) {
      expect(() => loadConfig({ DATA_DIR: dir, PUBLIC_URL: url })).toThrow(`${problem} (got "${url}")`);
    }
  });
});

describe('loadConfig embedded secrets', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the generated admin and cluster tokens in DATA_DIR (0600), so a restart keeps them', () => {
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.generatedSecrets).toEqual(['ADMIN_TOKEN', 'CLUSTER_TOKEN']);
    expect(second.adminToken).toBe(first.adminToken);
    expect(second.clusterToken).toBe(first.clusterToken);
    expect(second.jwtSecret).toBe(first.jwtSecret);
    expect(first.adminToken).not.toBe(first.clusterToken);
    for (const file of ['admin-token', 'cluster-token', 'jwt-secret']) expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'admin-token'), 'utf8')).toBe(first.adminToken);
  });

  it('a token set in the environment wins and is not written', () => {
    const config = loadConfig({ DATA_DIR: dir, ADMIN_TOKEN: 'admin-from-the-environment' });
    expect(config.adminToken).toBe('admin-from-the-environment');
    expect(config.generatedSecrets).toEqual(['CLUSTER_TOKEN']);
    expect(existsSync(join(dir, 'admin-token'))).toBe(false);
  });
});

describe('loadConfig STATS_SAMPLE_MS', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'config-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is 5 s by default and takes 100 ms to a minute', () => {
    expect(loadConfig({ DATA_DIR: dir }).statsSampleMs).toBe(5000);
    expect(loadConfig({ DATA_DIR: dir, STATS_SAMPLE_MS: '200' }).statsSampleMs).toBe(200);
    expect(loadConfig({ DATA_DIR: dir, STATS_SAMPLE_MS: '60000' }).statsSampleMs).toBe(60000);
  });

  it('refuses values outside that range or not integers, naming the variable', () => {
    for (const value of ['99', '60001', '5s', '1.5']) {
      const problem = `STATS_SAMPLE_MS must be an integer from 100 to 60000 (got "${value}")`;
      expect(() => loadConfig({ DATA_DIR: dir, STATS_SAMPLE_MS: value })).toThrow(problem);
    }
  });
});
