import { MIGRATIONS } from '.';

describe('MIGRATIONS', () => {
  it('are named uniquely, each name ending with a 13-digit timestamp, and listed oldest first', () => {
    const timestamps = MIGRATIONS.map((m) => Number(/\d{13}$/.exec(m.name)?.[0]));
    expect(timestamps.every(Number.isSafeInteger)).toBe(true);
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(new Set(MIGRATIONS.map((m) => m.name)).size).toBe(MIGRATIONS.length);
  });
});
