import { Delivery } from '../common/delivery';

interface Stream {
  next: number;
  held: Map<number, Delivery>;
  timer?: NodeJS.Timeout;
}

/**
 * Puts a connection's messages of each ordered conversation back in seq order. Instances deliver
 * independently, so a later message can overtake an earlier one on the way; it is held until
 * the earlier one arrives, or for `gapWaitMs` at most (a gap that never fills is skipped: what
 * was missed stays unacknowledged and comes with the next login).
 */
export class StreamOrder {
  private readonly streams = new Map<string, Stream>();

  constructor(
    private readonly write: (delivery: Delivery) => void,
    private readonly gapWaitMs: number,
    private readonly maxHeld: number,
  ) {}

  /** The seq the next message of `stream` will carry, when known (at login, at join). */
  expect(stream: string, next: number): void {
    const known = this.streams.get(stream);
    if (known) known.next = Math.max(known.next, next);
    else this.streams.set(stream, { next, held: new Map() });
  }

  /** A message written another way (offline replay): what follows it comes next. */
  passed(stream: string, seq: number): void {
    this.expect(stream, seq + 1);
  }

  offer(delivery: Delivery): void {
    if (delivery.opens) this.expect(delivery.opens.stream, delivery.opens.next);
    const { stream, seq } = delivery;
    if (stream === undefined || seq === undefined) {
      this.write(delivery);
      return;
    }
    const state = this.streams.get(stream);
    if (!state) {
      this.streams.set(stream, { next: seq + 1, held: new Map() });
      this.write(delivery);
      return;
    }
    if (seq === state.next && state.held.size === 0) {
      // In order with nothing held, as nearly every message is: straight out, no holding.
      state.next++;
      this.write(delivery);
      return;
    }
    if (seq < state.next) {
      // Late (after a skipped gap) or a copy: better late than never, the client drops copies.
      this.write(delivery);
      return;
    }
    state.held.set(seq, delivery);
    this.flush(stream, state);
    if (state.held.size > this.maxHeld) this.skipGap(stream, state);
  }

  close(): void {
    for (const state of this.streams.values()) clearTimeout(state.timer);
    this.streams.clear();
  }

  private flush(stream: string, state: Stream): void {
    let next = state.held.get(state.next);
    while (next) {
      state.held.delete(state.next);
      state.next++;
      this.write(next);
      next = state.held.get(state.next);
    }
    if (state.held.size === 0) {
      clearTimeout(state.timer);
      state.timer = undefined;
    } else if (!state.timer) {
      state.timer = setTimeout(() => {
        state.timer = undefined;
        this.skipGap(stream, state);
      }, this.gapWaitMs);
      state.timer.unref();
    }
  }

  private skipGap(stream: string, state: Stream): void {
    if (state.held.size === 0) return;
    state.next = Math.min(...state.held.keys());
    this.flush(stream, state);
  }
}
