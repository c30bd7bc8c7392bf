import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY, WebAssets, contentSecurityPolicy, webSocketOrigins } from './web-assets';

describe('WebAssets', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'web-assets-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('serves the known kinds of files in the build folder, with their content types', () => {
    writeFileSync(join(dir, 'chat.html'), '<!doctype html>');
    writeFileSync(join(dir, 'chat.js'), 'void 0;');
    writeFileSync(join(dir, 'style.css'), 'body{}');
    writeFileSync(join(dir, 'notes.txt'), 'not served');
    mkdirSync(join(dir, 'nested'));
    writeFileSync(join(dir, 'nested', 'inner.js'), 'void 0;');

    const assets = WebAssets.load(dir);

    expect(assets.built).toBe(true);
    expect(assets.get('chat.html')?.contentType).toBe('text/html; charset=utf-8');
    expect(assets.get('chat.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(assets.get('style.css')?.body.toString()).toBe('body{}');
    expect(assets.get('notes.txt')).toBeUndefined();
    expect(assets.get('nested')).toBeUndefined();
    expect(assets.get('../web-assets.ts')).toBeUndefined();
  });

  it('is empty, not failing, when the pages were never built', () => {
    const assets = WebAssets.load(join(dir, 'missing'));
    expect(assets.built).toBe(false);
    expect(assets.get('chat.html')).toBeUndefined();
  });

  it('allows only same-origin scripts and styles, and WebSocket connections to this origin only', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self';");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/ wss?:/);
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
    expect(contentSecurityPolicy(['ws://10.0.0.6:9092', 'ws://10.0.0.7:9092'])).toContain(
      "connect-src 'self' ws://10.0.0.6:9092 ws://10.0.0.7:9092;",
    );
  });

  it("lists the instances' public URLs by origin, each once", () => {
    const urls = ['wss://chat1.example.com/ws', 'wss://chat1.example.com:443/other', 'ws://localhost:9093/ws'];
    urls.push('wss://chat2.example.com:8443/ws');
    expect(webSocketOrigins(urls)).toEqual(['wss://chat1.example.com', 'ws://localhost:9093', 'wss://chat2.example.com:8443']);
  });
});
