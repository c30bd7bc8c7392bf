import { Delivery, frameBytes } from './delivery';

describe('frameBytes', () => {
  it('encodes the frame as UTF-8 once and keeps it out of the JSON the bus carries', () => {
    const delivery: Delivery = { frame: '{"content":"héllo ✓"}', messageId: 'm1' };
    const bytes = frameBytes(delivery);
    expect(bytes.toString('utf8')).toBe(delivery.frame);
    expect(bytes.length).toBe(Buffer.byteLength(delivery.frame));
    expect(frameBytes(delivery)).toBe(bytes);
    expect(JSON.parse(JSON.stringify(delivery))).toEqual({ frame: delivery.frame, messageId: 'm1' });
  });
});
