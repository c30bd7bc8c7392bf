import { normalizeUsername } from '../users/user-rules';

export const FROM_MISMATCH = 'from must be the logged-in user';

/** `from`, when given, must name the logged-in user (in any Unicode normal form). */
export function isSelf(from: unknown, username: string): boolean {
  if (from === undefined || from === null) return true;
  return typeof from === 'string' && normalizeUsername(from) === username;
}
