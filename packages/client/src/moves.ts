import { WebSocketLike } from './connection';

/**
 * The urls of a session beside the current one: the one given to `connect`, and a move under way
 * after a ReBalance push, whose failure sends later reconnects back to the url given.
 */
export class Moves {
  /** The connection being opened after a ReBalance, adopted once logged in. */
  socket: WebSocketLike | null = null;
  /** Where the move under way goes. */
  target: string | undefined;
  /** The url given to `connect`. */
  private givenUrl: string | undefined;
  /** Where the next reconnect goes instead of the current url, after a failed move. */
  private fallbackUrl: string | undefined;

  /** With `fallback` false, a failed move keeps its target for later reconnects, as if it had worked. */
  constructor(private readonly fallback: boolean) {}

  /** A new session, connecting to `url`. */
  start(url: string): void {
    this.givenUrl = url;
    this.fallbackUrl = undefined;
  }

  /** Where a reconnect goes from the current url. */
  reconnectUrl(currentUrl: string | undefined): string | undefined {
    return this.fallbackUrl ?? currentUrl;
  }

  /** A connection is usable: the next loss reconnects to it again. */
  settled(): void {
    this.fallbackUrl = undefined;
  }

  /** A move to `target` begins; returns the socket of the one it replaces, if any, to be abandoned. */
  begin(target: string): WebSocketLike | null {
    const previous = this.socket;
    this.target = target;
    this.socket = null;
    return previous;
  }

  /** The move's socket became the client's; returns the current url from now on. */
  adopted(currentUrl: string | undefined): string | undefined {
    this.socket = null;
    // Reconnects after a move that worked go to the instance moved to.
    const url = this.target ?? currentUrl;
    this.target = undefined;
    return url;
  }

  /** The move failed; returns the current url from now on. */
  failed(currentUrl: string | undefined): string | undefined {
    this.socket = null;
    // The instance left is going away: once its connection goes too, try the url given (or resolved) rather than it.
    if (this.fallback) this.fallbackUrl = this.givenUrl;
    else currentUrl = this.target;
    this.target = undefined;
    return currentUrl;
  }
}
