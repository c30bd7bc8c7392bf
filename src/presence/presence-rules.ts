/** Usernames a PresenceRequest names, at most. */
export const PRESENCE_USERNAMES_MAX = 200;
/** Distinct users one connection may watch, at most. */
export const PRESENCE_SUBSCRIPTIONS_MAX = 1000;
/** A typing notice is forwarded at most once per conversation and sender in this time. */
export const TYPING_INTERVAL_MS = 2000;
/** Throttle entries (sender, conversation) kept per instance, at most: past it the oldest go first. */
export const TYPING_THROTTLE_MAX = 100_000;

export const PresenceReasons = {
  usernames: `usernames must be an array of 1 to ${PRESENCE_USERNAMES_MAX} strings`,
  subscribe: 'subscribe must be true or false',
  tooManySubscriptions: `Too many presence subscriptions on this connection (at most ${PRESENCE_SUBSCRIPTIONS_MAX} users)`,
  typingTarget: 'Exactly one of to and groupName is required',
  typingSelf: 'Cannot send typing to yourself',
} as const;
