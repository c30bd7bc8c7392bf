/** The page sends at most one typing notice per conversation this often (the server forwards no more). */
export const TYPING_SEND_INTERVAL_MS = 2000;
/** How long "typing…" stays after the last Typing push of someone (they send one every 2 s while typing). */
export const TYPING_SHOW_MS = 4000;

/** Whether a keystroke in a conversation should send a typing notice: the first, then one per interval. */
export class TypingThrottle {
  private readonly lastSent = new Map<string, number>();

  constructor(private readonly intervalMs = TYPING_SEND_INTERVAL_MS) {}

  shouldSend(key: string, now: number): boolean {
    const last = this.lastSent.get(key);
    if (last !== undefined && now - last < this.intervalMs) return false;
    this.lastSent.set(key, now);
    return true;
  }

  /** A message was sent: the next keystroke says typing again at once. */
  reset(key: string): void {
    this.lastSent.delete(key);
  }

  clear(): void {
    this.lastSent.clear();
  }
}

/** Who is typing in which conversation, each until a while after their last Typing push or until their message arrives. */
export class TypingIndicator {
  /** Conversation key → who → until when (epoch ms). */
  private readonly typing = new Map<string, Map<string, number>>();

  constructor(private readonly showMs = TYPING_SHOW_MS) {}

  typed(key: string, from: string, now: number): void {
    let typers = this.typing.get(key);
    if (!typers) {
      typers = new Map();
      this.typing.set(key, typers);
    }
    typers.delete(from);
    typers.set(from, now + this.showMs);
  }

  /** Their message arrived: they are done typing it. */
  stopped(key: string, from: string): void {
    this.typing.get(key)?.delete(from);
  }

  /** Who is typing in `key` now, in the order they started; forgets those whose time is up. */
  typers(key: string, now: number): string[] {
    const typers = this.typing.get(key);
    if (!typers) return [];
    for (const [from, until] of typers) if (until <= now) typers.delete(from);
    if (typers.size === 0) this.typing.delete(key);
    return [...typers.keys()];
  }

  /** When the line of `key` next changes by itself (someone's time is up); undefined when nobody types. */
  nextExpiry(key: string): number | undefined {
    const typers = this.typing.get(key);
    return typers && typers.size > 0 ? Math.min(...typers.values()) : undefined;
  }

  clear(): void {
    this.typing.clear();
  }
}

/** The typing line: "bob is typing…", "bob and carol are typing…", "4 people are typing…"; undefined for nobody. */
export function typingText(typers: readonly string[]): string | undefined {
  if (typers.length === 0) return undefined;
  if (typers.length === 1) return `${typers[0]} is typing…`;
  if (typers.length === 2) return `${typers[0]} and ${typers[1]} are typing…`;
  return `${typers.length} people are typing…`;
}
