import { MessageType as ClientMessageType } from '@chat-server/client';
import { MessageType } from './protocol';

describe('MessageType', () => {
  it('is the same in the server and in the client SDK (packages/client keeps its own copy)', () => {
    expect(ClientMessageType).toEqual(MessageType);
  });
});
