export interface BackoffOptions {
  baseMs: number;
  factor: number;
  capMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, factor: 2, capMs: 10_000 };

/**
 * Delay before reconnect attempt number `attempt` (0 for the first): exponential backoff with
 * full jitter, uniform in [0, min(cap, base * factor^attempt)).
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(options.capMs, options.baseMs * Math.pow(options.factor, Math.max(0, attempt)));
  return Math.floor(random() * ceiling);
}
