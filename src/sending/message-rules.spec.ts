import { clientMessageIdProblem, contentProblem, parseHistoryLimit, parseMessageId } from './message-rules';

describe('message rules', () => {
  it('measures content in UTF-8 bytes and refuses empty or non-string content', () => {
    expect(contentProblem('hi', 10)).toBeNull();
    expect(contentProblem('é'.repeat(5), 10)).toBeNull();
    expect(contentProblem('é'.repeat(6), 10)).toMatch(/at most 10 bytes/);
    expect(contentProblem('', 10)).toMatch(/empty/);
    expect(contentProblem(undefined, 10)).toMatch(/empty/);
    expect(contentProblem(42, 10)).toMatch(/string/);
    expect(contentProblem('a\u0000b', 10)).toMatch(/NUL/);
    expect(contentProblem('a\ud800b', 10)).toMatch(/surrogate/);
    expect(contentProblem('😀', 10)).toBeNull();
  });

  it('accepts clientMessageId of 1 to 64 characters or none', () => {
    expect(clientMessageIdProblem(undefined)).toBeNull();
    expect(clientMessageIdProblem('a')).toBeNull();
    expect(clientMessageIdProblem('a'.repeat(64))).toBeNull();
    expect(clientMessageIdProblem('a'.repeat(65))).not.toBeNull();
    expect(clientMessageIdProblem('')).not.toBeNull();
    expect(clientMessageIdProblem(5)).not.toBeNull();
  });

  it('parses message ids as exact 64-bit decimals', () => {
    expect(parseMessageId('9007199254740993')).toBe('9007199254740993');
    expect(parseMessageId('9223372036854775807')).toBe('9223372036854775807');
    expect(parseMessageId('9223372036854775808')).toBeNull();
    expect(parseMessageId(12)).toBe('12');
    expect(parseMessageId(1.5)).toBeNull();
    expect(parseMessageId('012')).toBeNull();
    expect(parseMessageId('-1')).toBeNull();
    expect(parseMessageId({})).toBeNull();
  });

  it('bounds the history limit to 1..100 with a default of 50', () => {
    expect(parseHistoryLimit(undefined)).toBe(50);
    expect(parseHistoryLimit(1)).toBe(1);
    expect(parseHistoryLimit(100)).toBe(100);
    expect(parseHistoryLimit(0)).toBeNull();
    expect(parseHistoryLimit(101)).toBeNull();
    expect(parseHistoryLimit('10')).toBeNull();
  });
});
