import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as util from 'node:util';
import { ConfigError } from './app-config';

/**
 * Loads `.env` from the working directory when there is one, with Node's own parser (the
 * format of `node --env-file`). What the environment sets already wins. Returns the file's
 * path, or null when there is none. A file that cannot be read is a ConfigError.
 */
export function loadDotEnv(directory = process.cwd(), env: NodeJS.ProcessEnv = process.env): string | null {
  const file = join(directory, '.env');
  if (!existsSync(file)) return null;
  const parseEnv = (util as { parseEnv?: (content: string) => Record<string, string> }).parseEnv;
  if (typeof parseEnv !== 'function')
    throw new ConfigError([`${file} needs Node 20.12 or later to be read; set its variables in the environment instead`]);
  let values: Record<string, string>;
  try {
    values = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError([`could not load ${file}: ${error instanceof Error ? error.message : String(error)}`]);
  }
  for (const [name, value] of Object.entries(values)) if (env[name] === undefined) env[name] = value;
  return file;
}
