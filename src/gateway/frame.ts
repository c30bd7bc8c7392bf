import { ResponseFields } from '../handlers/frame';

export { MessageType, RefusalCode } from '../common/protocol';

export function nowIso(): string {
  return new Date().toISOString();
}

/** The fields of each response type, empty, so that a refusal has the shape of its response. */
export const REFUSAL_FIELDS: Record<number, ResponseFields> = {
  6: { from: null, to: null, content: null, messageId: null, delivered: false, offline: false },
  8: { from: null, groupName: null, content: null, messageId: null, offline: false },
  10: { groupName: null, members: null },
  12: { groupName: null },
  14: { groupName: null, members: null },
  16: { groupName: null },
  18: { username: null, token: null },
  24: { messages: [] },
  30: { token: null },
};
