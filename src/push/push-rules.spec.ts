import { createHmac } from 'node:crypto';
import { outcomeOf, previewOf, retryDelayMs, signatureOf } from './push-rules';

describe('previewOf', () => {
  it('cuts by code points, never inside a surrogate pair', () => {
    expect(previewOf('😀😀😀', 2)).toBe('😀😀');
    expect(previewOf('a😀b', 2)).toBe('a😀');
    expect(previewOf('hello', 3)).toBe('hel');
    expect(previewOf('hi', 5)).toBe('hi');
    expect(previewOf('😀😀', 3)).toBe('😀😀');
  });

  it('is empty with 0', () => {
    expect(previewOf('hello', 0)).toBe('');
  });
});

describe('retryDelayMs', () => {
  it('doubles from the base up to the cap, between half and all of it', () => {
    expect(retryDelayMs(1, 1000, 60000, () => 0)).toBe(500);
    expect(retryDelayMs(1, 1000, 60000, () => 1)).toBe(1000);
    expect(retryDelayMs(3, 1000, 60000, () => 1)).toBe(4000);
    expect(retryDelayMs(20, 1000, 60000, () => 1)).toBe(60000);
    expect(retryDelayMs(2000, 1000, 60000, () => 0.5)).toBe(45000);
  });
});

describe('signatureOf', () => {
  it('is the hex HMAC-SHA256 of the timestamp, a dot and the body', () => {
    const expected = createHmac('sha256', 'k').update('1700000000.{"a":1}').digest('hex');
    expect(signatureOf('k', '1700000000', '{"a":1}')).toBe(`sha256=${expected}`);
  });
});

describe('outcomeOf', () => {
  it('takes 2xx as sent, 408, 429 and 5xx as worth a retry, the rest as refused', () => {
    expect([200, 204, 299].map(outcomeOf)).toEqual(['sent', 'sent', 'sent']);
    expect([408, 429, 500, 503].map(outcomeOf)).toEqual(['retry', 'retry', 'retry', 'retry']);
    expect([301, 400, 401, 404, 410].map(outcomeOf)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
  });
});
