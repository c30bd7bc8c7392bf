import { DEFAULT_BACKOFF, backoffDelay } from './backoff';

describe('backoffDelay', () => {
  const almostOne = () => 0.999999;

  it('uses base 250 ms, factor 2 and a 10 s cap by default', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 250, factor: 2, capMs: 10_000 });
  });

  it('grows the ceiling exponentially up to the cap', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 20, 1000].map((attempt) => backoffDelay(attempt, DEFAULT_BACKOFF, almostOne));
    expect(ceilings).toEqual([249, 499, 999, 1999, 3999, 7999, 9999, 9999, 9999, 9999]);
  });

  it('applies full jitter: anywhere from 0 up to the ceiling', () => {
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0)).toBe(0);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.5)).toBe(1000);
    for (let attempt = 0; attempt < 12; attempt += 1) {
      const ceiling = Math.min(10_000, 250 * 2 ** attempt);
      for (let sample = 0; sample < 200; sample += 1) {
        const delay = backoffDelay(attempt);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
      }
    }
  });

  it('spreads delays over the whole range rather than clustering at the ceiling', () => {
    const delays = Array.from({ length: 500 }, () => backoffDelay(5));
    expect(Math.min(...delays)).toBeLessThan(2000);
    expect(Math.max(...delays)).toBeGreaterThan(6000);
  });

  it('honours custom options', () => {
    expect(backoffDelay(2, { baseMs: 10, factor: 3, capMs: 1000 }, almostOne)).toBe(89);
    expect(backoffDelay(9, { baseMs: 10, factor: 3, capMs: 1000 }, almostOne)).toBe(999);
  });
});
