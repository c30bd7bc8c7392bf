/** The readers of one group whose position moved since the group's last push, the latest last. */
export interface GroupReads {
  groupId: number;
  groupName: string;
  members: string[];
  /** Reader → the position after the read. */
  readers: Map<string, string>;
}

interface Window {
  groupName: string;
  members: string[];
  readers: Map<string, string>;
  timer: NodeJS.Timeout;
}

/**
 * Coalesces a group's read receipts: the first read of a group is pushed at once and opens a
 * window of `windowMs`; reads during the window are pushed together when it ends (each reader's
 * latest position), which opens the next one. So each member gets at most one push per group per
 * window from this instance. A window without reads closes, so memory holds only the groups read
 * in the last `windowMs`, each with at most its members as readers.
 */
export class ReceiptWindows {
  private readonly windows = new Map<number, Window>();

  constructor(
    private readonly windowMs: number,
    private readonly push: (reads: GroupReads) => void,
  ) {}

  add(groupId: number, groupName: string, members: string[], reader: string, position: string): void {
    const open = this.windows.get(groupId);
    if (open) {
      open.readers.delete(reader);
      open.readers.set(reader, position);
      open.members = members;
      open.groupName = groupName;
      return;
    }
    this.emit(groupId, { groupName, members, readers: new Map([[reader, position]]) });
  }

  /** Pushes what the window holds and opens the next one. */
  private emit(groupId: number, pending: Omit<Window, 'timer'>): void {
    if (pending.readers.size > 0) this.push({ groupId, groupName: pending.groupName, members: pending.members, readers: pending.readers });
    const timer = setTimeout(() => {
      const window = this.windows.get(groupId)!;
      if (window.readers.size === 0) this.windows.delete(groupId);
      else this.emit(groupId, window);
    }, this.windowMs);
    timer.unref();
    this.windows.set(groupId, { ...pending, readers: new Map(), timer });
  }

  /** Groups with an open window (for the tests of bounded memory). */
  get size(): number {
    return this.windows.size;
  }

  close(): void {
    for (const window of this.windows.values()) clearTimeout(window.timer);
    this.windows.clear();
  }
}
