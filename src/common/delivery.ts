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
}
