import { loadConfig } from '../config/app-config';
import { MessageRecord, advanceCursors } from './message.store';

const message = (id: string, groupId: number | null, seq: string | null): MessageRecord => ({
  id,
  sender: 'alice',
  recipient: groupId === null ? 'bob' : null,
  groupId,
  seq,
  content: 'x',
  createdAt: new Date(0),
  sequenceId: 1,
});

describe('advanceCursors', () => {
  it('moves each group past the highest seq the page returned, and leaves the others', () => {
    const cursors = [
      { groupId: 1, ackedSeq: '4' },
      { groupId: 2, ackedSeq: '10' },
      { groupId: 3, ackedSeq: '0' },
    ];
    const page = [message('20', 1, '5'), message('21', 2, '11'), message('22', 1, '7'), message('23', null, null)];
    expect(advanceCursors(cursors, page)).toEqual([
      { groupId: 1, ackedSeq: '7' },
      { groupId: 2, ackedSeq: '11' },
      { groupId: 3, ackedSeq: '0' },
    ]);
  });

  it('never moves a cursor back', () => {
    expect(advanceCursors([{ groupId: 1, ackedSeq: '9' }], [message('5', 1, '3')])).toEqual([{ groupId: 1, ackedSeq: '9' }]);
  });
});

describe('message retention settings', () => {
  const base = { DATA_DIR: '/tmp/chat-config-spec' };

  it('keeps messages forever by default, with 30-day partitions', () => {
    const config = loadConfig(base);
    expect(config.messages.retentionDays).toBeUndefined();
    expect(config.messages.partitionDays).toBe(30);
    expect(config.messages.maintenanceMs).toBe(60000);
  });

  it('takes a retention in days', () => {
    expect(loadConfig({ ...base, MESSAGE_RETENTION_DAYS: '90' }).messages.retentionDays).toBe(90);
  });

  it('refuses a retention that is not a positive number, naming the variable', () => {
    expect(() => loadConfig({ ...base, MESSAGE_RETENTION_DAYS: 'forever' })).toThrow(/MESSAGE_RETENTION_DAYS must be a number/);
    expect(() => loadConfig({ ...base, MESSAGE_RETENTION_DAYS: '0' })).toThrow(/MESSAGE_RETENTION_DAYS/);
    expect(() => loadConfig({ ...base, MESSAGE_PARTITION_DAYS: '-1' })).toThrow(/MESSAGE_PARTITION_DAYS/);
  });
});
