import { Delivery } from '../common/delivery';
import { StreamOrder } from './stream-order';

const message = (seq: number, stream = 'g:1'): Delivery => ({ frame: `m${seq}`, messageId: String(100 + seq), stream, seq });

describe('StreamOrder', () => {
  let written: string[];
  let order: StreamOrder;

  beforeEach(() => {
    jest.useFakeTimers();
    written = [];
    order = new StreamOrder((d) => written.push(d.frame), 200, 5);
  });

  afterEach(() => {
    order.close();
    jest.useRealTimers();
  });

  it('writes unordered deliveries at once', () => {
    order.offer({ frame: 'plain' });
    expect(written).toEqual(['plain']);
  });

  it('holds a message that overtook an earlier one until the earlier arrives', () => {
    order.expect('g:1', 1);
    order.offer(message(2));
    order.offer(message(3));
    expect(written).toEqual([]);
    order.offer(message(1));
    expect(written).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps streams apart', () => {
    order.expect('g:1', 1);
    order.expect('g:2', 1);
    order.offer(message(2, 'g:1'));
    order.offer(message(1, 'g:2'));
    expect(written).toEqual(['m1']);
  });

  it('skips a gap that does not fill within the wait', () => {
    order.expect('g:1', 1);
    order.offer(message(3));
    order.offer(message(4));
    jest.advanceTimersByTime(199);
    expect(written).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(written).toEqual(['m3', 'm4']);
    order.offer(message(5));
    expect(written).toEqual(['m3', 'm4', 'm5']);
  });

  it('writes a late message after its gap was skipped', () => {
    order.expect('g:1', 1);
    order.offer(message(2));
    jest.advanceTimersByTime(200);
    order.offer(message(1));
    expect(written).toEqual(['m2', 'm1']);
  });

  it('takes the first message of an unknown stream as the start', () => {
    order.offer(message(7));
    order.offer(message(9));
    order.offer(message(8));
    expect(written).toEqual(['m7', 'm8', 'm9']);
  });

  it('learns where a stream starts from the delivery that opens it', () => {
    order.offer({ frame: 'added', opens: { stream: 'g:1', next: 1 } });
    order.offer(message(2));
    expect(written).toEqual(['added']);
    order.offer(message(1));
    expect(written).toEqual(['added', 'm1', 'm2']);
  });

  it('moves on past what a replay already sent', () => {
    order.expect('g:1', 1);
    order.passed('g:1', 4);
    order.offer(message(5));
    expect(written).toEqual(['m5']);
  });

  it('does not hold more than its limit', () => {
    order.expect('g:1', 1);
    for (let seq = 2; seq <= 7; seq++) order.offer(message(seq));
    expect(written).toEqual(['m2', 'm3', 'm4', 'm5', 'm6', 'm7']);
  });
});
