import { chmodSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const GROUP_AND_OTHERS = 0o077;

/**
 * The embedded mode's files hold password hashes and every message: only the server's user may
 * read them. New files get 0600 and folders 0700 (umask 077, set before PGlite opens); what an
 * older version left wider is tightened.
 */
export function privateDataDir(dataDir: string): void {
  process.umask(GROUP_AND_OTHERS);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  tighten(dataDir);
}

/** Takes group and others' access off `path` and everything under it. */
export function tighten(path: string): void {
  const stat = statSync(path);
  if (stat.mode & GROUP_AND_OTHERS) chmodSync(path, stat.mode & 0o700);
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isDirectory() || entry.isFile()) tighten(join(path, entry.name));
  }
}
