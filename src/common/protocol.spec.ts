import { MessageType as ClientMessageType, RefusalCode as ClientRefusalCode } from '@chat-server/client';
import { MessageType, RefusalCode } from './protocol';

describe('protocol constants', () => {
  it('MessageType is the same in the server and in the client SDK (packages/client keeps its own copy)', () => {
    expect(ClientMessageType).toEqual(MessageType);
  });

  it('RefusalCode is the same in the server and in the client SDK', () => {
    expect(ClientRefusalCode).toEqual(RefusalCode);
  });
});
