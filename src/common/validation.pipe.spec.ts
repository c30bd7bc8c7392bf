import { ChatRequestMessageDto } from '../messages/dto/chat-request-message.dto';
import { UserPageQueryDto } from '../users/dto/user.dto';
import { createValidationPipe } from './validation.pipe';

const pipe = createValidationPipe();
const refusal = (metatype: new () => object, value: object, type: 'query' | 'body' = 'query') =>
  pipe.transform(value, { type, metatype }).then(
    () => 'accepted',
    (error: Error) => error.message,
  );

describe('createValidationPipe', () => {
  it.each([
    [{ current: '1.5' }, 'current must be an integer'],
    [{ current: 'x' }, 'current must be an integer'],
    [{ current: '2000000' }, 'current must not be greater than 1000000'],
    [{ current: '0' }, 'current must not be less than 1'],
    [{ size: '1.5' }, 'size must be an integer'],
    [{ size: '7', sort: 'name' }, 'sort is not a known field'],
  ])('names the actual problem of the query %j', async (query, message) => {
    expect(await refusal(UserPageQueryDto, query)).toBe(message);
  });

  it('says a missing field is required, before its type', async () => {
    expect(await refusal(ChatRequestMessageDto, { to: 'bob', content: 'hi' }, 'body')).toBe('from is required');
    expect(await refusal(ChatRequestMessageDto, { from: 'alice', to: 5, content: 'hi' }, 'body')).toBe('to must be a string');
    expect(await refusal(ChatRequestMessageDto, { from: 'a', to: 'b', content: 'c', sequenceId: 0.5 }, 'body')).toBe(
      'sequenceId must be an integer',
    );
  });

  it('accepts a valid query', async () => {
    expect(await refusal(UserPageQueryDto, { current: '2', size: '10' })).toBe('accepted');
  });
});
