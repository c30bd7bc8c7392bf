import { BatchWriter } from './batch-writer';

describe('BatchWriter', () => {
  it('writes items added during a write together, in order', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((resolve) => (release = resolve));
    const writer = new BatchWriter<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await firstWrite;
      return items.map((i) => i * 10);
    }, 100);
    const first = writer.add(1);
    await new Promise((resolve) => setImmediate(resolve));
    const rest = [2, 3, 4].map((i) => writer.add(i));
    release();
    expect(await first).toBe(10);
    expect(await Promise.all(rest)).toEqual([20, 30, 40]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('splits at the maximum batch size', async () => {
    const sizes: number[] = [];
    const writer = new BatchWriter<number, number>(async (items) => {
      sizes.push(items.length);
      return items;
    }, 3);
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map((i) => writer.add(i)));
    expect(sizes).toEqual([3, 3, 1]);
  });

  it('rejects only the items the write answered with an Error', async () => {
    const writer = new BatchWriter<number, number>(async (items) => items.map((i) => (i === 2 ? new Error('bad item') : i)), 10);
    const results = await Promise.allSettled([1, 2, 3].map((i) => writer.add(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('rejects every item of a failed write and goes on with the next', async () => {
    let calls = 0;
    const writer = new BatchWriter<number, number>(async (items) => {
      calls++;
      if (calls === 1) throw new Error('database down');
      return items;
    }, 10);
    const failed = [writer.add(1), writer.add(2)];
    await expect(failed[0]).rejects.toThrow('database down');
    await expect(failed[1]).rejects.toThrow('database down');
    expect(await writer.add(3)).toBe(3);
  });
});
