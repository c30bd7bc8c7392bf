/** Where a delivery keeps its frame as UTF-8: a symbol key, so that JSON (the bus) never carries it. */
const FRAME_BYTES: unique symbol = Symbol('frameBytes');

/** A frame on its way to a user's connections. */
export interface Delivery {
  /** The serialized frame. */
  frame: string;
  /** Lets a connection drop a copy it already sent (replay and live can overlap). */
  messageId?: string;
  /**
   * Position in an ordered conversation (a group, `g:{id}`): connections hold a message that
   * arrives before an earlier one of the same conversation, so members see them in order.
   */
  stream?: string;
  seq?: number;
  /** Tells the connection where an ordered conversation starts (the push that adds a member to a group). */
  opens?: { stream: string; next: number };
  [FRAME_BYTES]?: Buffer;
}

/** The frame as UTF-8, encoded on first use and kept: a group's thousand connections share one encoding. */
export function frameBytes(delivery: Delivery): Buffer {
  return (delivery[FRAME_BYTES] ??= Buffer.from(delivery.frame));
}
