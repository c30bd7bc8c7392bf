/** Input rules shared by 1:1 and group sends, as pure functions. */

export const HISTORY_LIMIT_DEFAULT = 50;
export const HISTORY_LIMIT_MAX = 100;
export const ACK_IDS_MAX = 1000;
const MESSAGE_ID = /^[1-9]\d{0,18}$/;

export function contentProblem(content: unknown, maxBytes: number): string | null {
  if (content === undefined || content === null || content === '') return 'content must not be empty';
  if (typeof content !== 'string') return 'content must be a string';
  // PostgreSQL text holds neither NUL nor half a surrogate pair: refuse rather than store something else.
  if (content.includes('\u0000')) return 'content must not contain NUL characters';
  if (!content.isWellFormed()) return 'content must be well-formed Unicode (no lone surrogates)';
  if (Buffer.byteLength(content, 'utf8') > maxBytes) return `content must be at most ${maxBytes} bytes`;
  return null;
}

export function clientMessageIdProblem(id: unknown): string | null {
  if (id === undefined || id === null) return null;
  if (typeof id !== 'string' || id.length < 1 || id.length > 64) return 'clientMessageId must be a string of 1 to 64 characters';
  // As for content: PostgreSQL text holds no NUL, and stores a lone surrogate as U+FFFD, where two keys would collide.
  if (id.includes('\u0000') || !id.isWellFormed()) return 'clientMessageId must not contain NUL characters or lone surrogates';
  return null;
}

/** A message id as its decimal string; numbers are accepted when they are exact. */
export function parseMessageId(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && MESSAGE_ID.test(value) && BigInt(value) <= 9223372036854775807n) return value;
  return null;
}

export function parseHistoryLimit(value: unknown): number | null {
  if (value === undefined || value === null) return HISTORY_LIMIT_DEFAULT;
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= HISTORY_LIMIT_MAX ? (value as number) : null;
}
