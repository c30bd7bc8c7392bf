export interface SendSlot {
  /** Resolves when every earlier send of this sender has been handed to the store. */
  turn: Promise<void>;
  /** Call once this send is handed to the store (or dropped). */
  release: () => void;
}

/**
 * One sender's sends reach the store in the order they arrived, while their checks (which
 * wait on the database) run concurrently: so ids follow the order the client sent in.
 */
export class SendOrder {
  private readonly tails = new Map<string, Promise<void>>();

  /** Call synchronously when the send arrives. */
  enter(sender: string): SendSlot {
    const previous = this.tails.get(sender) ?? Promise.resolve();
    let release!: () => void;
    const handed = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => handed);
    this.tails.set(sender, tail);
    void tail.then(() => {
      if (this.tails.get(sender) === tail) this.tails.delete(sender);
    });
    return { turn: previous, release };
  }

  get pendingSenders(): number {
    return this.tails.size;
  }
}
