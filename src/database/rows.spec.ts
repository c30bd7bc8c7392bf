import { camelCased } from './rows';

describe('camelCased', () => {
  it('names every column as a field, in the row order, and keeps its value', () => {
    const createdAt = new Date(0);
    const record = camelCased({ id: 1, group_id: null, created_at: createdAt, password_error_last_time: 'x' });
    expect(record).toEqual({ id: 1, groupId: null, createdAt, passwordErrorLastTime: 'x' });
    expect(Object.keys(record)).toEqual(['id', 'groupId', 'createdAt', 'passwordErrorLastTime']);
  });
});
