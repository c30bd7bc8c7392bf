import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';

/** Where scripts/build-web.js writes the bundled pages; the same from dist/web and from src/web. */
export const WEB_BUILD_DIR = join(__dirname, '..', '..', 'dist', 'web', 'public');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Pages may load only their own scripts and styles, and talk only to this origin ('self' covers
 * ws:// and wss:// to it) and to `instances`, the WebSocket origins a ReBalance move may send them
 * to: the token must not be sent anywhere else.
 */
export function contentSecurityPolicy(instances: readonly string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    ["connect-src 'self'", ...instances].join(' '),
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** The distinct origins of these WebSocket URLs (`wss://chat1.example.com/ws` → `wss://chat1.example.com`), in order. */
export function webSocketOrigins(urls: readonly string[]): string[] {
  const origins = new Set<string>();
  for (const url of urls) if (URL.canParse(url)) origins.add(new URL(url).origin);
  return [...origins];
}

export interface WebAsset {
  body: Buffer;
  contentType: string;
}

/**
 * The built pages and assets, read once into memory. Only files found in the build folder are
 * ever served, so a request path never reaches the file system.
 */
export class WebAssets {
  private constructor(private readonly files: ReadonlyMap<string, WebAsset>) {}

  static load(dir: string = WEB_BUILD_DIR): WebAssets {
    const files = new Map<string, WebAsset>();
    if (existsSync(dir)) {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const contentType = CONTENT_TYPES[extname(entry.name)];
        if (entry.isFile() && contentType) files.set(entry.name, { body: readFileSync(join(dir, entry.name)), contentType });
      }
    }
    return new WebAssets(files);
  }

  get built(): boolean {
    return this.files.size > 0;
  }

  get(name: string): WebAsset | undefined {
    return this.files.get(name);
  }
}
