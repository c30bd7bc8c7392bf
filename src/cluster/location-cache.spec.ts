import { Delivery } from '../common/delivery';
import { LocationCache, ROUTED_MAX, Unchecked } from './location-cache';

describe('LocationCache', () => {
  let clock = 0;
  let unchecked: Unchecked[] = [];
  const cache = (ttlMs = 1000, max = 100) =>
    new LocationCache(
      ttlMs,
      max,
      () => clock,
      (u) => unchecked.push(u),
    );
  const delivery = (id: string): Delivery => ({ frame: `{"messageId":"${id}"}`, messageId: id });
  beforeEach(() => {
    clock = 1000;
    unchecked = [];
  });

  it('answers what a lookup found until ttlMs after the lookup started', () => {
    const c = cache();
    const started = c.startLookup();
    clock += 300;
    c.remember('bob', ['i2'], started);
    expect(c.instancesOf('bob', true)).toEqual(['i2']);
    clock = started + 999;
    expect(c.instancesOf('bob', true)).toEqual(['i2']);
    clock = started + 1000;
    expect(c.instancesOf('bob', true)).toBeUndefined();
    expect([c.hits, c.misses]).toEqual([2, 1]);
  });

  it('forgets a user whose sessions changed, and keeps no lookup that started before the change', () => {
    const c = cache();
    c.remember('bob', [], c.startLookup());
    const inFlight = c.startLookup();
    clock += 10;
    c.forget(['bob']);
    expect(c.instancesOf('bob', true)).toBeUndefined();
    // The lookup that was running when bob logged in somewhere may not have seen it.
    c.remember('bob', [], inFlight);
    expect(c.instancesOf('bob', true)).toBeUndefined();
    clock += 10;
    c.remember('bob', ['i3'], c.startLookup());
    expect(c.instancesOf('bob', true)).toEqual(['i3']);
  });

  it('keeps no lookup that started before a clear', () => {
    const c = cache();
    c.remember('ann', ['i2'], c.startLookup());
    const inFlight = c.startLookup();
    clock += 1;
    c.clear();
    expect(c.instancesOf('ann', true)).toBeUndefined();
    c.remember('ann', ['i2'], inFlight);
    expect(c.instancesOf('ann', true)).toBeUndefined();
    clock += 1;
    c.remember('ann', ['i2'], c.startLookup());
    expect(c.instancesOf('ann', true)).toEqual(['i2']);
  });

  it('holds at most maxEntries users, dropping the least recently looked up', () => {
    const c = cache(1000, 3);
    for (const name of ['a', 'b', 'c']) c.remember(name, [], c.startLookup());
    c.remember('a', [], c.startLookup());
    c.remember('d', [], c.startLookup());
    expect(c.size).toBe(3);
    expect(c.instancesOf('b', true)).toBeUndefined();
    for (const name of ['a', 'c', 'd']) expect(c.instancesOf(name, true)).toEqual([]);
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

  it('answers an entry naming no other instance only for a user reached here', () => {
    const c = cache();
    c.remember('bob', [], c.startLookup());
    expect(c.instancesOf('bob', false, delivery('1'))).toBeUndefined();
    expect(c.instancesOf('bob', true, delivery('2'))).toEqual([]);
    c.forget(['bob']);
    // Only the delivery that went by the entry's word is checked.
    expect(unchecked).toEqual([{ username: 'bob', sentTo: [], deliveries: [delivery('2')] }]);
  });

  describe('the deliveries sent on the word of an entry are checked before the entry goes', () => {
    it('by the lookup that replaces it, when that lookup started after them', () => {
      const c = cache();
      c.remember('bob', ['i2'], c.startLookup());
      c.instancesOf('bob', true, delivery('1'));
      clock += 1;
      c.instancesOf('bob', true, delivery('2'));
      clock += 1000;
      expect(c.instancesOf('bob', true, delivery('3'))).toBeUndefined();
      const replaced = c.remember('bob', ['i2', 'i3'], c.startLookup());
      expect(replaced).toEqual({ username: 'bob', sentTo: ['i2'], deliveries: [delivery('1'), delivery('2')] });
      expect(unchecked).toEqual([]);
      // The new entry starts with nothing to check.
      expect(c.remember('bob', ['i3'], c.startLookup())).toBeUndefined();
    });

    it('by a lookup of their own when the replacing lookup started before the last of them', () => {
      const c = cache();
      c.remember('bob', ['i2'], c.startLookup());
      const inFlight = c.startLookup();
      clock += 1;
      c.instancesOf('bob', true, delivery('1'));
      expect(c.remember('bob', ['i2'], inFlight)).toBeUndefined();
      expect(unchecked).toEqual([{ username: 'bob', sentTo: ['i2'], deliveries: [delivery('1')] }]);
    });

    it('when the bus says the user logged in elsewhere, when a sweep finds it too old, and on a clear', () => {
      const c = cache();
      for (const name of ['ann', 'bob', 'cat']) {
        c.remember(name, [], c.startLookup());
        c.instancesOf(name, true, delivery(name));
      }
      c.forget(['ann']);
      expect(unchecked.map((u) => u.username)).toEqual(['ann']);
      clock += 500;
      c.remember('dan', ['i2'], c.startLookup());
      c.instancesOf('dan', true, delivery('dan'));
      clock += 500;
      c.sweep();
      // bob and cat are 1000 ms old; dan, 500 ms, stays.
      expect(unchecked.map((u) => u.username)).toEqual(['ann', 'bob', 'cat']);
      expect(c.size).toBe(1);
      c.clear();
      expect(unchecked.map((u) => u.username)).toEqual(['ann', 'bob', 'cat', 'dan']);
      expect(unchecked[3]).toEqual({ username: 'dan', sentTo: ['i2'], deliveries: [delivery('dan')] });
    });

    it('when the bound on entries drops it', () => {
      const c = cache(1000, 2);
      c.remember('ann', [], c.startLookup());
      c.instancesOf('ann', true, delivery('1'));
      c.remember('bob', [], c.startLookup());
      c.remember('cat', [], c.startLookup());
      expect(unchecked).toEqual([{ username: 'ann', sentTo: [], deliveries: [delivery('1')] }]);
    });

    it('at ROUTED_MAX deliveries: the entry is checked and dropped, so what it holds stays bounded', () => {
      const c = cache();
      c.remember('bob', ['i2'], c.startLookup());
      for (let i = 1; i < ROUTED_MAX; i++) expect(c.instancesOf('bob', true, delivery(String(i)))).toEqual(['i2']);
      expect(unchecked).toEqual([]);
      expect(c.instancesOf('bob', true, delivery('last'))).toEqual(['i2']);
      expect(unchecked).toHaveLength(1);
      expect(unchecked[0].deliveries).toHaveLength(ROUTED_MAX);
      expect(c.instancesOf('bob', true)).toBeUndefined();
    });

    it('keeps nothing for a lookup without a delivery (a push that is not stored)', () => {
      const c = cache();
      c.remember('bob', ['i2'], c.startLookup());
      expect(c.instancesOf('bob', true)).toEqual(['i2']);
      c.forget(['bob']);
      expect(unchecked).toEqual([]);
    });
  });
});
