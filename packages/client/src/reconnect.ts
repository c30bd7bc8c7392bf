import { BackoffOptions, backoffDelay } from './backoff';
import { GaveUpEvent, ReconnectingEvent } from './events';

/** Where `online` and `offline` events come from: a browser's `window` (or a worker's scope). */
export interface ConnectivityEvents {
  addEventListener(type: 'online' | 'offline', listener: () => void): void;
  removeEventListener(type: 'online' | 'offline', listener: () => void): void;
  readonly navigator?: { readonly onLine?: boolean };
}

export function defaultConnectivity(): ConnectivityEvents | null {
  const scope = globalThis as Partial<ConnectivityEvents>;
  return typeof scope.addEventListener === 'function' && typeof scope.navigator === 'object' ? (scope as ConnectivityEvents) : null;
}

/** What the reconnect schedule asks of the client; any event it emits may close the client. */
export interface ReconnectHost {
  /** Moves to state `reconnecting`; false when the client is not in it afterwards. */
  enterReconnecting(): boolean;
  isReconnecting(): boolean;
  /** Whether a connection is open or being opened (a move's included). */
  hasConnection(): boolean;
  reconnecting(event: ReconnectingEvent): void;
  gaveUp(event: GaveUpEvent): void;
  /** Starts attempt number `attempt` (0 for the first). */
  reconnect(attempt: number): void;
}

/** When to try again after a lost connection: backoff, `maxAttempts`, and pauses while offline. */
export class Reconnector {
  /** Reconnect attempts started since the connection was last usable. */
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Why the connection or the last attempt failed, for `gaveUp`. */
  private lastError: Error | undefined;
  private offline = false;

  constructor(
    private readonly backoff: BackoffOptions,
    private readonly maxAttempts: number,
    private readonly connectivity: ConnectivityEvents | null,
    private readonly host: ReconnectHost,
  ) {}

  /** Whether a wait for the next attempt is under way. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /** A new session: no attempts yet, and the connectivity events heard. */
  start(): void {
    this.attempt = 0;
    this.lastError = undefined;
    this.offline = this.connectivity?.navigator?.onLine === false;
    this.connectivity?.addEventListener('offline', this.wentOffline);
    this.connectivity?.addEventListener('online', this.cameOnline);
  }

  failed(error: Error): void {
    this.lastError = error;
  }

  /** The connection is usable again; returns the attempt that made it so (0 for none). */
  succeeded(): number {
    const attempt = this.attempt;
    this.attempt = 0;
    this.lastError = undefined;
    return attempt;
  }

  schedule(): void {
    if (!this.host.enterReconnecting()) return;
    if (this.attempt >= this.maxAttempts) {
      this.giveUp();
      return;
    }
    // Offline, an attempt could only fail: the online event starts the next one.
    if (this.offline) return;
    const delay = backoffDelay(this.attempt, this.backoff);
    this.host.reconnecting({ attempt: this.attempt + 1, delay });
    if (!this.host.isReconnecting()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.attemptNow();
    }, delay);
  }

  /** The session ended: no more attempts, and the connectivity events no longer heard. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.connectivity?.removeEventListener('offline', this.wentOffline);
    this.connectivity?.removeEventListener('online', this.cameOnline);
  }

  private attemptNow(): void {
    this.attempt += 1;
    this.host.reconnect(this.attempt - 1);
  }

  private giveUp(): void {
    this.host.gaveUp({ attempts: this.attempt, error: this.lastError ?? new Error('reconnect failed') });
  }

  /** A wait under way is called off: the attempt at its end would fail, and is not counted. */
  private readonly wentOffline = (): void => {
    this.offline = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  };

  private readonly cameOnline = (): void => {
    this.offline = false;
    this.attempt = 0;
    if (!this.host.isReconnecting() || this.host.hasConnection()) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.host.reconnecting({ attempt: 1, delay: 0 });
    if (this.host.isReconnecting()) this.attemptNow();
  };
}
