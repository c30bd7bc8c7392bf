/** The account rules of docs/protocol.md §3.9, §3.10 and §4.1, as pure functions. */

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 30;
export const PASSWORD_MIN_BYTES = 6;
export const PASSWORD_MAX_BYTES = 72;
const RESERVED = new Set(['host', 'admin', 'system']);
const USERNAME_CHARACTERS = /^[\p{L}\p{M}\p{N}_.-]+$/u;

export const Reasons = {
  usernameAndPasswordRequired: 'Username and password are required',
  usernameLength: `Username must be ${USERNAME_MIN} to ${USERNAME_MAX} characters`,
  usernameCharacters: 'Username may only contain letters, digits, "_", "-" and "."',
  usernameReserved: 'This username is reserved',
  usernameTaken: 'Username is already taken',
  passwordLength: `Password must be ${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes`,
  userNotFound: 'User does not exist',
  locked: 'Account is locked after too many wrong passwords; try again later',
  wrongPassword: 'Wrong password',
  disabled: 'Account is disabled',
  alreadyLoggedIn: 'This connection is already logged in as another user',
  tokenUserGone: 'The user of this token no longer exists',
  tokenRevoked: 'Token revoked: please log in again',
  passwordsRequired: 'oldPassword and newPassword are required',
  samePassword: 'newPassword must differ from oldPassword',
  loggedOutEverywhere: 'Logged out on every device',
  passwordChanged: 'The password was changed: please log in again',
} as const;

/** NFC, so that the same name typed on two keyboards is one name. */
export function normalizeUsername(username: string): string {
  return username.normalize('NFC');
}

export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

export function usernameProblem(username: string): string | null {
  const length = characterCount(username);
  if (length < USERNAME_MIN || length > USERNAME_MAX) return Reasons.usernameLength;
  if (!USERNAME_CHARACTERS.test(username)) return Reasons.usernameCharacters;
  return null;
}

export function passwordProblem(password: string): string | null {
  const bytes = Buffer.byteLength(password, 'utf8');
  return bytes < PASSWORD_MIN_BYTES || bytes > PASSWORD_MAX_BYTES ? Reasons.passwordLength : null;
}

export function isReserved(username: string): boolean {
  return RESERVED.has(username.toLowerCase());
}

/** Locked: more than `maxErrors` wrong passwords, the last one less than the window ago. */
export function isLocked(errorCount: number, lastErrorAt: Date | null, maxErrors: number, windowMs: number, now = Date.now()): boolean {
  return errorCount > maxErrors && lastErrorAt !== null && now - lastErrorAt.getTime() < windowMs;
}
