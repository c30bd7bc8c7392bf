import { LocationCache } from './location-cache';

describe('LocationCache', () => {
  let clock = 0;
  const cache = (ttlMs = 1000, max = 100) => new LocationCache(ttlMs, max, () => clock);
  beforeEach(() => (clock = 1000));

  it('answers what a lookup found until ttlMs after the lookup started', () => {
    const c = cache();
    const started = c.startLookup();
    clock += 300;
    c.remember('bob', ['i2'], started);
    expect(c.instancesOf('bob')).toEqual(['i2']);
    clock = started + 999;
    expect(c.instancesOf('bob')).toEqual(['i2']);
    clock = started + 1000;
    expect(c.instancesOf('bob')).toBeUndefined();
    expect([c.hits, c.misses]).toEqual([2, 1]);
  });

  it('forgets a user whose sessions changed, and keeps no lookup that started before the change', () => {
    const c = cache();
    c.remember('bob', [], c.startLookup());
    const inFlight = c.startLookup();
    clock += 10;
    c.forget(['bob']);
    expect(c.instancesOf('bob')).toBeUndefined();
    // The lookup that was running when bob logged in somewhere may not have seen it.
    c.remember('bob', [], inFlight);
    expect(c.instancesOf('bob')).toBeUndefined();
    clock += 10;
    c.remember('bob', ['i3'], c.startLookup());
    expect(c.instancesOf('bob')).toEqual(['i3']);
  });

  it('keeps no lookup that started before a clear', () => {
    const c = cache();
    c.remember('ann', ['i2'], c.startLookup());
    const inFlight = c.startLookup();
    clock += 1;
    c.clear();
    expect(c.instancesOf('ann')).toBeUndefined();
    c.remember('ann', ['i2'], inFlight);
    expect(c.instancesOf('ann')).toBeUndefined();
    clock += 1;
    c.remember('ann', ['i2'], c.startLookup());
    expect(c.instancesOf('ann')).toEqual(['i2']);
  });

  it('holds at most maxEntries users, dropping the least recently looked up', () => {
    const c = cache(1000, 3);
    for (const name of ['a', 'b', 'c']) c.remember(name, [], c.startLookup());
    c.remember('a', [], c.startLookup());
    c.remember('d', [], c.startLookup());
    expect(c.size).toBe(3);
    expect(c.instancesOf('b')).toBeUndefined();
    for (const name of ['a', 'c', 'd']) expect(c.instancesOf(name)).toEqual([]);
  });

  it('keeps nothing when disabled (LOCATION_CACHE_MS=0)', () => {
    const c = cache(0);
    expect(c.enabled).toBe(false);
    c.remember('bob', [], c.startLookup());
    expect(c.size).toBe(0);
  });

  it('keeps the record of recent changes bounded: changes older than ttlMs are dropped', () => {
    const c = cache(1000, 2);
    c.forget(['a', 'b', 'c']);
    clock += 1000;
    c.forget(['d']);
    expect((c as unknown as { changedAt: Map<string, number> }).changedAt.size).toBe(1);
  });
});
