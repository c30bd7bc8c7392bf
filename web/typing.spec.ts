import { TYPING_SEND_INTERVAL_MS, TYPING_SHOW_MS, TypingIndicator, TypingThrottle, typingText } from './typing';

describe('TypingThrottle', () => {
  it('lets the first keystroke of a conversation through, then one per 2 s', () => {
    const throttle = new TypingThrottle();
    const sent = [0, 500, 1999, 2000, 2100, 4100].map((at) => throttle.shouldSend('user:bob', at));
    expect(sent).toEqual([true, false, false, true, false, true]);
    expect(TYPING_SEND_INTERVAL_MS).toBe(2000);
  });

  it('counts each conversation on its own, and starts again after a send', () => {
    const throttle = new TypingThrottle();
    expect(throttle.shouldSend('user:bob', 0)).toBe(true);
    expect(throttle.shouldSend('group:team', 10)).toBe(true);
    expect(throttle.shouldSend('user:bob', 20)).toBe(false);
    throttle.reset('user:bob');
    expect(throttle.shouldSend('user:bob', 30)).toBe(true);
  });
});

describe('TypingIndicator', () => {
  it('shows someone for a few seconds after their last push, then forgets them', () => {
    const typing = new TypingIndicator();
    typing.typed('user:bob', 'bob', 1000);
    expect(typing.typers('user:bob', 1000 + TYPING_SHOW_MS - 1)).toEqual(['bob']);
    expect(typing.nextExpiry('user:bob')).toBe(1000 + TYPING_SHOW_MS);
    typing.typed('user:bob', 'bob', 3000);
    expect(typing.typers('user:bob', 3000 + TYPING_SHOW_MS - 1)).toEqual(['bob']);
    expect(typing.typers('user:bob', 3000 + TYPING_SHOW_MS)).toEqual([]);
    expect(typing.nextExpiry('user:bob')).toBeUndefined();
    expect(TYPING_SHOW_MS).toBeGreaterThanOrEqual(3000);
    expect(TYPING_SHOW_MS).toBeLessThanOrEqual(5000);
  });

  it('keeps conversations apart, and drops someone whose message arrived', () => {
    const typing = new TypingIndicator();
    typing.typed('group:team', 'bob', 0);
    typing.typed('group:team', 'carol', 100);
    typing.typed('user:dave', 'dave', 100);
    expect(typing.typers('group:team', 200)).toEqual(['bob', 'carol']);
    typing.stopped('group:team', 'bob');
    expect(typing.typers('group:team', 200)).toEqual(['carol']);
    expect(typing.typers('user:dave', 200)).toEqual(['dave']);
    expect(typing.typers('user:nobody', 200)).toEqual([]);
  });
});

describe('typingText', () => {
  it('names one or two people, and counts more', () => {
    expect(typingText([])).toBeUndefined();
    expect(typingText(['bob'])).toBe('bob is typing…');
    expect(typingText(['bob', 'carol'])).toBe('bob and carol are typing…');
    expect(typingText(['bob', 'carol', 'dave'])).toBe('3 people are typing…');
  });
});
