/** Pings the server on an interval, and calls a connection dead that stays silent for two of them. */
export class Heartbeat {
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private watchdogTimer: ReturnType<typeof setTimeout> | undefined;
  private lastFrameAt = 0;

  constructor(
    private readonly heartbeatMs: number,
    private readonly ping: () => void,
    private readonly silent: () => void,
  ) {}

  start(): void {
    this.stop();
    this.lastFrameAt = Date.now();
    this.heartbeatTimer = setInterval(this.ping, this.heartbeatMs);
    this.armWatchdog(2 * this.heartbeatMs);
  }

  /** A frame arrived on the active connection. */
  heard(): void {
    this.lastFrameAt = Date.now();
  }

  stop(): void {
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.watchdogTimer);
    this.heartbeatTimer = undefined;
    this.watchdogTimer = undefined;
  }

  private armWatchdog(delay: number): void {
    this.watchdogTimer = setTimeout(() => {
      const silence = Date.now() - this.lastFrameAt;
      const limit = 2 * this.heartbeatMs;
      if (silence < limit) this.armWatchdog(limit - silence);
      else this.silent();
    }, delay);
  }
}
