import { ValidationFailedException } from '../common/error-mapping';
import { MessageType } from '../protocol';

type Fields = Record<string, unknown>;
const MAX_PUSHES = 1000;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optional(fields: Fields, name: string, type: 'string' | 'number' | 'boolean', where: string): void {
  const value = fields[name];
  if (value === undefined || value === null) return;
  if (typeof value !== type || (type === 'number' && !Number.isSafeInteger(value))) {
    throw new ValidationFailedException(`${where}.${name} must be ${type === 'number' ? 'an integer' : `a ${type}`}`);
  }
}

function required(fields: Fields, name: string, where: string): string {
  const value = fields[name];
  if (typeof value !== 'string' || value === '') throw new ValidationFailedException(`${where}.${name} must be a non-empty string`);
  return value;
}

/** The body of /sendGroupChatMessage, checked: username → the GroupChatResponse frame to push to them. */
export function groupChatPushes(body: unknown): Map<string, string> {
  if (!isObject(body)) throw new ValidationFailedException('body must be an object of username → GroupChatResponseMessage');
  const entries = Object.entries(body);
  if (entries.length > MAX_PUSHES) throw new ValidationFailedException(`body may name at most ${MAX_PUSHES} users`);
  const pushes = new Map<string, string>();
  for (const [username, message] of entries) {
    const where = `body[${JSON.stringify(username).slice(0, 40)}]`;
    if (!isObject(message)) throw new ValidationFailedException(`${where} must be a GroupChatResponseMessage`);
    for (const name of ['sequenceId']) optional(message, name, 'number', where);
    for (const name of ['reason', 'messageId', 'time']) optional(message, name, 'string', where);
    optional(message, 'success', 'boolean', where);
    const frame = {
      messageType: MessageType.GroupChatResponse,
      sequenceId: message.sequenceId ?? 0,
      success: message.success ?? true,
      reason: message.reason ?? null,
      from: required(message, 'from', where),
      groupName: required(message, 'groupName', where),
      content: required(message, 'content', where),
      messageId: message.messageId ?? null,
      offline: false,
      time: message.time ?? new Date().toISOString(),
    };
    pushes.set(username, JSON.stringify(frame));
  }
  return pushes;
}

/** The body of /sendGroupCreateMessage, checked: each GroupCreateResponse frame with the user it is for. */
export function groupCreatePushes(body: unknown): { username: string; frame: string }[] {
  if (!Array.isArray(body)) throw new ValidationFailedException('body must be an array of GroupCreateResponseMessage');
  if (body.length > MAX_PUSHES) throw new ValidationFailedException(`body may hold at most ${MAX_PUSHES} messages`);
  return body.map((message: unknown, index) => {
    const where = `body[${index}]`;
    if (!isObject(message)) throw new ValidationFailedException(`${where} must be a GroupCreateResponseMessage`);
    const members = message.members;
    if (!Array.isArray(members) || members.length === 0 || members.some((m) => typeof m !== 'string')) {
      throw new ValidationFailedException(`${where}.members must be a non-empty array of usernames`);
    }
    optional(message, 'sequenceId', 'number', where);
    optional(message, 'success', 'boolean', where);
    for (const name of ['reason', 'groupName', 'time']) optional(message, name, 'string', where);
    const frame = {
      messageType: MessageType.GroupCreateResponse,
      sequenceId: message.sequenceId ?? 0,
      success: message.success ?? true,
      reason: message.reason ?? null,
      groupName: message.groupName ?? null,
      members,
      time: message.time ?? new Date().toISOString(),
    };
    return { username: members[0] as string, frame: JSON.stringify(frame) };
  });
}
