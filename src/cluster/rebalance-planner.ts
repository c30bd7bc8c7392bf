export interface InstanceLoad {
  id: string;
  host: string;
  connections: number;
}

export interface RebalanceMove {
  from: string;
  fromHost: string;
  to: string;
  toHost: string;
  count: number;
}

export interface PlanOptions {
  minUsers: number;
  tolerance: number;
}

interface Slot {
  id: string;
  host: string;
  connections: number;
  target: number;
}

function sanitizeCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byConnectionsDescThenId(a: { id: string; connections: number }, b: { id: string; connections: number }): number {
  return b.connections - a.connections || compareIds(a.id, b.id);
}

/**
 * Targets are floor(total / n) or one more; the extra ones go to the busiest instances so that
 * they move the fewest connections.
 */
function assignTargets(instances: readonly InstanceLoad[], total: number): Slot[] {
  const n = instances.length;
  const base = Math.floor(total / n);
  const remainder = total - base * n;
  return instances
    .map((instance) => ({ id: instance.id, host: instance.host, connections: sanitizeCount(instance.connections) }))
    .sort(byConnectionsDescThenId)
    .map((slot, index) => ({ ...slot, target: base + (index < remainder ? 1 : 0) }));
}

interface Balance {
  slot: Slot;
  amount: number;
}

function pickLargest(balances: Balance[]): Balance | undefined {
  let best: Balance | undefined;
  for (const balance of balances) {
    if (balance.amount <= 0) continue;
    if (!best || balance.amount > best.amount || (balance.amount === best.amount && compareIds(balance.slot.id, best.slot.id) < 0)) {
      best = balance;
    }
  }
  return best;
}

export function planRebalance(instances: InstanceLoad[], options: PlanOptions): RebalanceMove[] {
  const n = instances.length;
  if (n < 2) return [];
  const counts = instances.map((instance) => sanitizeCount(instance.connections));
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (total < options.minUsers) return [];
  const mean = total / n;
  const busiest = Math.max(...counts);
  if (busiest <= mean * (1 + options.tolerance)) return [];

  const slots = assignTargets(instances, total);
  const surpluses: Balance[] = slots.map((slot) => ({ slot, amount: slot.connections - slot.target }));
  const deficits: Balance[] = slots.map((slot) => ({ slot, amount: slot.target - slot.connections }));

  const moves: RebalanceMove[] = [];
  const byPair = new Map<string, RebalanceMove>();
  for (;;) {
    const source = pickLargest(surpluses);
    const sink = pickLargest(deficits);
    if (!source || !sink) break;
    const count = Math.min(source.amount, sink.amount);
    source.amount -= count;
    sink.amount -= count;
    if (source.slot.id === sink.slot.id) continue;
    const key = JSON.stringify([source.slot.id, sink.slot.id]);
    const existing = byPair.get(key);
    if (existing) {
      existing.count += count;
      continue;
    }
    const move: RebalanceMove = {
      from: source.slot.id,
      fromHost: source.slot.host,
      to: sink.slot.id,
      toHost: sink.slot.host,
      count,
    };
    byPair.set(key, move);
    moves.push(move);
  }
  return moves;
}

export function planDrain(leaving: InstanceLoad, others: InstanceLoad[]): RebalanceMove[] {
  const moving = sanitizeCount(leaving.connections);
  const receivers = others.filter((other) => other.id !== leaving.id);
  const m = receivers.length;
  if (m === 0 || moving === 0) return [];

  const total = moving + receivers.reduce((sum, other) => sum + sanitizeCount(other.connections), 0);
  const slots = assignTargets(receivers, total).sort((a, b) => compareIds(a.id, b.id));
  // The targets sum to the total, so the rooms add up to at least `moving` (> 0).
  const weights = slots.map((slot) => Math.max(0, slot.target - slot.connections));
  const weightTotal = weights.reduce((sum, room) => sum + room, 0);

  const shares = slots.map((slot, index) => {
    const numerator = moving * weights[index];
    return {
      slot,
      weight: weights[index],
      count: Math.floor(numerator / weightTotal),
      remainder: numerator % weightTotal,
    };
  });
  let left = moving - shares.reduce((sum, share) => sum + share.count, 0);
  const byRemainder = [...shares].sort((a, b) => b.remainder - a.remainder || b.weight - a.weight || compareIds(a.slot.id, b.slot.id));
  for (const share of byRemainder) {
    if (left === 0) break;
    share.count += 1;
    left -= 1;
  }

  return shares
    .filter((share) => share.count > 0)
    .sort((a, b) => b.count - a.count || compareIds(a.slot.id, b.slot.id))
    .map((share) => ({
      from: leaving.id,
      fromHost: leaving.host,
      to: share.slot.id,
      toHost: share.slot.host,
      count: share.count,
    }));
}
