import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The server's source files, specs left out: they may set the environment of what they test. */
function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('environment access', () => {
  it('happens in src/config only: everything else takes the validated AppConfig', () => {
    const root = join(__dirname, '..');
    const readers = sources(root)
      .filter((file) => !file.startsWith(__dirname) && readFileSync(file, 'utf8').includes('process.env'))
      .map((file) => relative(root, file));
    expect(readers).toEqual([]);
  });
});
