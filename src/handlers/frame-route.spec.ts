import { MessageType, RESPONSE_TYPE } from '../protocol';
import { responseTypeOf } from './frame-route';

describe('responseTypeOf', () => {
  it.each(Object.entries(RESPONSE_TYPE))('answers request type %s with the type RESPONSE_TYPE gives it', (requestType, responseType) => {
    expect(responseTypeOf(Number(requestType))).toBe(responseType);
  });

  it('has no direct response for an Ack', () => {
    expect(responseTypeOf(MessageType.Ack)).toBeNull();
  });

  it('refuses a route whose request type the protocol does not list', () => {
    expect(() => responseTypeOf(MessageType.ChatResponse)).toThrow(/no response type in RESPONSE_TYPE/);
  });
});
