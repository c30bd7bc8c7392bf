import { decodeCursor, encodeCursor } from './reads.service';
import { GroupReads, ReceiptWindows } from './receipt-windows';

describe('ReceiptWindows', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('pushes a group’s first read at once, then at most one push per window with each reader’s latest position', () => {
    const pushes: GroupReads[] = [];
    const windows = new ReceiptWindows(1000, (reads) => pushes.push({ ...reads, readers: new Map(reads.readers) }));
    windows.add(1, 'team', ['a', 'b'], 'a', '10');
    expect(pushes).toHaveLength(1);
    windows.add(1, 'team', ['a', 'b'], 'b', '11');
    windows.add(1, 'team', ['a', 'b'], 'a', '12');
    windows.add(2, 'other', ['a'], 'a', '5');
    expect(pushes.map((p) => p.groupId)).toEqual([1, 2]);
    jest.advanceTimersByTime(999);
    expect(pushes).toHaveLength(2);
    jest.advanceTimersByTime(1);
    expect(pushes).toHaveLength(3);
    expect([...pushes[2].readers]).toEqual([
      ['b', '11'],
      ['a', '12'],
    ]);
    // Windows without reads close: memory holds only the groups read in the last window.
    jest.advanceTimersByTime(1000);
    expect(windows.size).toBe(0);
    windows.add(1, 'team', ['a', 'b'], 'b', '13');
    expect(pushes).toHaveLength(4);
    windows.close();
  });
});

describe('conversation cursors', () => {
  it('round-trip a message id and refuse anything they did not make', () => {
    expect(decodeCursor(encodeCursor('123'))).toBe('123');
    for (const bad of [
      '',
      'garbage!',
      encodeCursor('0'),
      Buffer.from('c01').toString('base64url'),
      Buffer.from('c9223372036854775808').toString('base64url'),
      'YzEy=',
    ]) {
      expect(decodeCursor(bad)).toBeNull();
    }
  });
});
