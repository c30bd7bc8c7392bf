import { Reasons, characterCount, isLocked, isReserved, normalizeUsername, passwordProblem, usernameProblem } from './user-rules';

describe('user rules', () => {
  it('accepts names of 3 to 30 letters, digits, "_", "-" and "." in any script', () => {
    expect(usernameProblem('bob')).toBeNull();
    expect(usernameProblem('a_b-c.d')).toBeNull();
    expect(usernameProblem('Дмитрий')).toBeNull();
    expect(usernameProblem('用户名')).toBeNull();
    expect(usernameProblem('x'.repeat(30))).toBeNull();
  });

  it('counts characters, not UTF-16 units or bytes', () => {
    expect(characterCount('𝒜𝒜𝒜')).toBe(3);
    expect(usernameProblem('𝒜𝒜𝒜')).toBeNull();
    expect(usernameProblem('用户')).toBe(Reasons.usernameLength);
  });

  it('refuses bad lengths and characters', () => {
    expect(usernameProblem('ab')).toBe(Reasons.usernameLength);
    expect(usernameProblem('x'.repeat(31))).toBe(Reasons.usernameLength);
    expect(usernameProblem('bob smith')).toBe(Reasons.usernameCharacters);
    expect(usernameProblem('<b>bob</b>')).toBe(Reasons.usernameCharacters);
    expect(usernameProblem('bob\u0000x')).toBe(Reasons.usernameCharacters);
    expect(usernameProblem('bob\u202Ex')).toBe(Reasons.usernameCharacters);
  });

  it('reserves host, admin and system in any letter case', () => {
    expect(isReserved('ADMIN')).toBe(true);
    expect(isReserved('System')).toBe(true);
    expect(isReserved('host')).toBe(true);
    expect(isReserved('admins')).toBe(false);
  });

  it('measures passwords in UTF-8 bytes', () => {
    expect(passwordProblem('12345')).toBe(Reasons.passwordLength);
    expect(passwordProblem('123456')).toBeNull();
    expect(passwordProblem('é'.repeat(36))).toBeNull();
    expect(passwordProblem('é'.repeat(37))).toBe(Reasons.passwordLength);
  });

  it('normalizes names to NFC', () => {
    expect(normalizeUsername('e\u0301mile')).toBe('\u00e9mile');
  });

  it('locks after more than the maximum errors, within the window only', () => {
    const now = 1_000_000_000;
    const window = 10 * 60_000;
    expect(isLocked(3, new Date(now - 1000), 3, window, now)).toBe(false);
    expect(isLocked(4, new Date(now - 1000), 3, window, now)).toBe(true);
    expect(isLocked(4, new Date(now - window), 3, window, now)).toBe(false);
    expect(isLocked(10, null, 3, window, now)).toBe(false);
  });
});
