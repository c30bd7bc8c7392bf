import { EDIT_WINDOW_MS, StoredMessage, canChange, changeableUntil, compareIds, laterId, tickStatus } from './chat-store';

const time = '2026-12-03T09:00:00.000Z';
const sentAt = Date.parse(time);
const mine: StoredMessage = { id: '10', from: 'alice', content: 'hi', time };

describe('read positions', () => {
  it('compares 64-bit ids as numbers, not as text', () => {
    expect(compareIds('9', '10')).toBe(-1);
    expect(compareIds('9223372036854775807', '9223372036854775806')).toBe(1);
    expect(compareIds('5', '5')).toBe(0);
  });

  it('only ever moves a position forward', () => {
    expect(laterId(undefined, '5')).toBe('5');
    expect(laterId('5', '12')).toBe('12');
    expect(laterId('12', '5')).toBe('12');
    expect(laterId('12', null)).toBe('12');
    expect(laterId('12', 'junk')).toBe('12');
  });
});

describe('tickStatus', () => {
  it('is sent when acknowledged, delivered when the ack said so, and read once a receipt covers it', () => {
    expect(tickStatus(mine, 'alice', undefined)).toBe('sent');
    expect(tickStatus({ ...mine, delivered: true }, 'alice', undefined)).toBe('delivered');
    expect(tickStatus({ ...mine, delivered: true }, 'alice', '9')).toBe('delivered');
    expect(tickStatus(mine, 'alice', '10')).toBe('read');
    expect(tickStatus({ ...mine, delivered: true }, 'alice', '11')).toBe('read');
  });

  it('says sending or failed before the ack, and nothing for the messages of others', () => {
    expect(tickStatus({ ...mine, id: 'local:1', state: 'sending' }, 'alice', '99')).toBe('sending');
    expect(tickStatus({ ...mine, id: 'local:1', state: 'failed' }, 'alice', undefined)).toBe('failed');
    expect(tickStatus({ ...mine, from: 'bob' }, 'alice', '99')).toBeUndefined();
  });
});

describe('the edit window', () => {
  it('offers edit and recall on our stored messages for 15 minutes from when they were sent', () => {
    expect(EDIT_WINDOW_MS).toBe(900_000);
    expect(changeableUntil(mine, 'alice')).toBe(sentAt + EDIT_WINDOW_MS);
    expect(canChange(mine, 'alice', sentAt + EDIT_WINDOW_MS - 1)).toBe(true);
    expect(canChange(mine, 'alice', sentAt + EDIT_WINDOW_MS)).toBe(false);
  });

  it('never offers them on the messages of others, sends not stored yet, or recalled messages', () => {
    expect(canChange({ ...mine, from: 'bob' }, 'alice', sentAt)).toBe(false);
    expect(canChange({ ...mine, id: 'local:1', state: 'sending' }, 'alice', sentAt)).toBe(false);
    expect(canChange({ ...mine, recalled: true, content: '' }, 'alice', sentAt)).toBe(false);
    expect(canChange({ ...mine, time: 'not a time' }, 'alice', sentAt)).toBe(false);
  });
});
