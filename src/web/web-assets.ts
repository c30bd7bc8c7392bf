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

/** Pages may load only their own scripts and styles, and talk only to this origin and WebSockets. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  // 'self' covers ws:// and wss:// to this origin; the token must not be sent anywhere else.
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

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
