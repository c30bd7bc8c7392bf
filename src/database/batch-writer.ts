interface Pending<I, O> {
  item: I;
  resolve: (result: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items added while a write is in flight go out together in the next one.
 * One write at a time, so items are written in the order they were added. A write answers
 * each item with its result, or an Error for that item alone.
 */
export class BatchWriter<I, O> {
  private queue: Pending<I, O>[] = [];
  private writing = false;
  private scheduled = false;

  constructor(
    private readonly write: (items: I[]) => Promise<(O | Error)[]>,
    private readonly maxBatch: number,
  ) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.writing && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    this.scheduled = false;
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const results = await this.write(batch.map((p) => p.item));
          batch.forEach((pending, index) => {
            const result = results[index];
            if (result instanceof Error) pending.reject(result);
            else pending.resolve(result);
          });
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
