import { InstanceLoad, PlanOptions, RebalanceMove, planDrain, planRebalance } from './rebalance-planner';

const OPTIONS: PlanOptions = { minUsers: 150, tolerance: 0.1 };

function load(id: string, connections: number): InstanceLoad {
  return { id, host: `${id}.local:9092`, connections };
}

function loads(...counts: number[]): InstanceLoad[] {
  return counts.map((count, index) => load(String.fromCharCode(97 + index), count));
}

function apply(instances: InstanceLoad[], moves: RebalanceMove[]): Map<string, number> {
  const after = new Map(instances.map((instance) => [instance.id, instance.connections]));
  for (const move of moves) {
    after.set(move.from, (after.get(move.from) ?? NaN) - move.count);
    after.set(move.to, (after.get(move.to) ?? NaN) + move.count);
  }
  return after;
}

function movedTotal(moves: RebalanceMove[]): number {
  return moves.reduce((sum, move) => sum + move.count, 0);
}

function expectWellFormed(moves: RebalanceMove[]): void {
  const pairs = new Set<string>();
  for (const move of moves) {
    expect(move.from).not.toBe(move.to);
    expect(Number.isInteger(move.count)).toBe(true);
    expect(move.count).toBeGreaterThan(0);
    const pair = `${move.from}->${move.to}`;
    expect(pairs.has(pair)).toBe(false);
    pairs.add(pair);
  }
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('planRebalance', () => {
  it('balances 200/492/129/476 to 324/325/324/324 with the extra one on the busiest', () => {
    const instances = loads(200, 492, 129, 476);
    const moves = planRebalance(instances, OPTIONS);

    expect(moves).toEqual([
      { from: 'b', fromHost: 'b.local:9092', to: 'c', toHost: 'c.local:9092', count: 167 },
      { from: 'd', fromHost: 'd.local:9092', to: 'a', toHost: 'a.local:9092', count: 124 },
      { from: 'd', fromHost: 'd.local:9092', to: 'c', toHost: 'c.local:9092', count: 28 },
    ]);
    const after = apply(instances, moves);
    expect(Object.fromEntries(after)).toEqual({ a: 324, b: 325, c: 324, d: 324 });
    expect(movedTotal(moves)).toBe(167 + 152);
    expect(new Set(moves.map((move) => move.from))).toEqual(new Set(['b', 'd']));
    expect(new Set(moves.map((move) => move.to))).toEqual(new Set(['a', 'c']));
    expectWellFormed(moves);
  });

  it('makes no moves when all instances are equal', () => {
    expect(planRebalance(loads(300, 300, 300), OPTIONS)).toEqual([]);
  });

  it('makes no moves when the busiest is within tolerance (301/300/300)', () => {
    expect(planRebalance(loads(301, 300, 300), OPTIONS)).toEqual([]);
  });

  it('makes no moves when the busiest is exactly at the tolerance limit', () => {
    expect(planRebalance(loads(110, 90), OPTIONS)).toEqual([]);
  });

  it('moves when the busiest is just over the tolerance', () => {
    const moves = planRebalance(loads(111, 89), OPTIONS);
    expect(moves).toEqual([{ from: 'a', fromHost: 'a.local:9092', to: 'b', toHost: 'b.local:9092', count: 11 }]);
  });

  it('makes no moves with a single instance, however loaded', () => {
    expect(planRebalance(loads(10_000), OPTIONS)).toEqual([]);
    expect(planRebalance([], OPTIONS)).toEqual([]);
  });

  it('sends half to an empty instance that joins (300/0)', () => {
    const moves = planRebalance(loads(300, 0), OPTIONS);
    expect(moves).toEqual([{ from: 'a', fromHost: 'a.local:9092', to: 'b', toHost: 'b.local:9092', count: 150 }]);
  });

  it('makes no moves when the total is below minUsers', () => {
    expect(planRebalance(loads(149, 0), OPTIONS)).toEqual([]);
    expect(planRebalance(loads(150, 0), OPTIONS)).toHaveLength(1);
  });

  it('fills two empty instances from one busy one (900/0/0)', () => {
    const moves = planRebalance(loads(900, 0, 0), OPTIONS);
    expect(moves).toEqual([
      { from: 'a', fromHost: 'a.local:9092', to: 'b', toHost: 'b.local:9092', count: 300 },
      { from: 'a', fromHost: 'a.local:9092', to: 'c', toHost: 'c.local:9092', count: 300 },
    ]);
  });

  it('never names a dead instance once the caller has removed it', () => {
    const all = [load('alive-1', 600), load('dead', 0), load('alive-2', 0)];
    const live = all.filter((instance) => instance.id !== 'dead');
    const moves = planRebalance(live, OPTIONS);
    expect(moves).toEqual([{ from: 'alive-1', fromHost: 'alive-1.local:9092', to: 'alive-2', toHost: 'alive-2.local:9092', count: 300 }]);
    for (const move of moves) {
      expect([move.from, move.to, move.fromHost, move.toHost].join(' ')).not.toContain('dead');
    }
  });

  it('breaks ties by id when placing the remainder and pairing', () => {
    const moves = planRebalance([load('z', 0), load('y', 401), load('x', 401)], OPTIONS);
    // total 802: targets 268 (x, tie by id) / 267 / 267
    expect(Object.fromEntries(apply([load('z', 0), load('y', 401), load('x', 401)], moves))).toEqual({
      x: 268,
      y: 267,
      z: 267,
    });
    expect(moves).toEqual([
      { from: 'y', fromHost: 'y.local:9092', to: 'z', toHost: 'z.local:9092', count: 134 },
      { from: 'x', fromHost: 'x.local:9092', to: 'z', toHost: 'z.local:9092', count: 133 },
    ]);
  });

  it('treats negative and non-finite counts as 0', () => {
    const instances = [load('a', 400), load('b', -50), load('c', Number.NaN), load('d', Number.POSITIVE_INFINITY)];
    const moves = planRebalance(instances, OPTIONS);
    expect(movedTotal(moves)).toBe(300);
    const after = apply([load('a', 400), load('b', 0), load('c', 0), load('d', 0)], moves);
    expect([...after.values()]).toEqual([100, 100, 100, 100]);
  });

  it('is deterministic under shuffled input', () => {
    const instances = [load('n1', 10), load('n2', 700), load('n3', 33), load('n4', 700), load('n5', 0), load('n6', 250)];
    const expected = planRebalance(instances, OPTIONS);
    expect(expected.length).toBeGreaterThan(0);
    const random = mulberry32(42);
    for (let i = 0; i < 50; i++) {
      expect(planRebalance(shuffle(instances, random), OPTIONS)).toEqual(expected);
    }
  });

  it('does not mutate its input', () => {
    const instances = loads(200, 492, 129, 476, -3);
    const snapshot = JSON.parse(JSON.stringify(instances)) as InstanceLoad[];
    const order = instances.map((instance) => instance.id);
    planRebalance(instances, OPTIONS);
    expect(instances).toEqual(snapshot);
    expect(instances.map((instance) => instance.id)).toEqual(order);
  });

  it('keeps its invariants over random inputs', () => {
    const random = mulberry32(20240601);
    let plansMade = 0;
    for (let run = 0; run < 500; run++) {
      const n = 1 + Math.floor(random() * 8);
      const spread = random() < 0.5 ? 50 : 2000;
      const instances = Array.from({ length: n }, (_, i) => load(`i${i}`, Math.floor(random() * spread)));
      const snapshot = JSON.stringify(instances);
      const moves = planRebalance(instances, OPTIONS);
      expect(JSON.stringify(instances)).toBe(snapshot);
      expectWellFormed(moves);
      expect(planRebalance(shuffle(instances, random), OPTIONS)).toEqual(moves);

      const total = instances.reduce((sum, instance) => sum + instance.connections, 0);
      const busiest = Math.max(...instances.map((instance) => instance.connections));
      const shouldPlan = n >= 2 && total >= OPTIONS.minUsers && busiest > (total / n) * (1 + OPTIONS.tolerance);
      if (!shouldPlan) {
        expect(moves).toEqual([]);
        continue;
      }
      plansMade++;
      expect(moves.length).toBeGreaterThan(0);

      const after = [...apply(instances, moves).values()];
      expect(Math.max(...after) - Math.min(...after)).toBeLessThanOrEqual(1);
      expect(after.reduce((sum, count) => sum + count, 0)).toBe(total);

      const base = Math.floor(total / n);
      const ranked = [...instances].sort((a, b) => b.connections - a.connections || (a.id < b.id ? -1 : 1));
      const targets = new Map(ranked.map((instance, index) => [instance.id, base + (index < total % n ? 1 : 0)]));
      const surplus = instances.reduce((sum, instance) => sum + Math.max(0, instance.connections - (targets.get(instance.id) ?? 0)), 0);
      expect(movedTotal(moves)).toBe(surplus);

      const senders = new Set(moves.map((move) => move.from));
      const receivers = new Set(moves.map((move) => move.to));
      for (const id of senders) expect(receivers.has(id)).toBe(false);
      expect(moves.length).toBeLessThanOrEqual(senders.size + receivers.size - 1);
    }
    expect(plansMade).toBeGreaterThan(100);
  });
});

describe('planDrain', () => {
  it('splits in proportion to room (leaving 300, others 100 and 200)', () => {
    const leaving = load('x', 300);
    const moves = planDrain(leaving, [load('a', 100), load('b', 200)]);
    expect(moves).toEqual([
      { from: 'x', fromHost: 'x.local:9092', to: 'a', toHost: 'a.local:9092', count: 200 },
      { from: 'x', fromHost: 'x.local:9092', to: 'b', toHost: 'b.local:9092', count: 100 },
    ]);
  });

  it('returns [] when there is nowhere to go', () => {
    expect(planDrain(load('x', 300), [])).toEqual([]);
    expect(planDrain(load('x', 300), [load('x', 300)])).toEqual([]);
  });

  it('returns [] when the leaving instance has no connections', () => {
    expect(planDrain(load('x', 0), [load('a', 10), load('b', 0)])).toEqual([]);
    expect(planDrain(load('x', -5), [load('a', 10)])).toEqual([]);
    expect(planDrain(load('x', Number.NaN), [load('a', 10)])).toEqual([]);
  });

  it('still moves everything when all others are far more loaded than the leaver', () => {
    const moves = planDrain(load('x', 11), [load('a', 5000), load('b', 5000), load('c', 5000)]);
    expect(movedTotal(moves)).toBe(11);
    expect(moves.map((move) => move.count)).toEqual([4, 4, 3]);
    expectWellFormed(moves);
  });

  it('sends nothing to an instance already over its target', () => {
    const moves = planDrain(load('x', 10), [load('a', 2000), load('b', 1000), load('c', 1000)]);
    // total 4010: targets 1337/1337/1336; a is over, b and c have room 337 and 336
    expect(moves.map((move) => move.to)).not.toContain('a');
    expect(movedTotal(moves)).toBe(10);
    expect(moves).toEqual([
      { from: 'x', fromHost: 'x.local:9092', to: 'b', toHost: 'b.local:9092', count: 5 },
      { from: 'x', fromHost: 'x.local:9092', to: 'c', toHost: 'c.local:9092', count: 5 },
    ]);
  });

  it('sums to exactly the leaving count and is deterministic over random inputs', () => {
    const random = mulberry32(7);
    for (let run = 0; run < 300; run++) {
      const m = 1 + Math.floor(random() * 6);
      const leaving = load('leaver', Math.floor(random() * 1000));
      const others = Array.from({ length: m }, (_, i) => load(`o${i}`, Math.floor(random() * 1000)));
      const snapshot = JSON.stringify(others);
      const moves = planDrain(leaving, others);
      expect(JSON.stringify(others)).toBe(snapshot);
      expectWellFormed(moves);
      expect(movedTotal(moves)).toBe(leaving.connections);
      for (const move of moves) expect(move.from).toBe('leaver');
      expect(planDrain(leaving, shuffle(others, random))).toEqual(moves);
    }
  });
});
