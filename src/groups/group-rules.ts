import { characterCount } from '../users/user-rules';

export const GROUP_NAME_MAX = 64;
export const GROUP_MEMBERS_MAX = 1000;
const FORBIDDEN = /[\p{Cc}<>"'&]/u;

export const GroupReasons = {
  nameRequired: 'groupName is required',
  nameInvalid: `groupName must be 1 to ${GROUP_NAME_MAX} characters, without control characters or any of < > " ' &`,
  nameTaken: 'Group name is already taken',
  notFound: 'Group does not exist',
  notMember: 'You are not a member of this group',
  userNotMember: 'User is not a member of this group',
  membersInvalid: `members must be an array of at most ${GROUP_MEMBERS_MAX} usernames`,
  usernameMismatch: 'username must be the logged-in user',
  unknownUser: 'User does not exist',
} as const;

/** The reason a group name is refused, or null. */
export function groupNameProblem(name: unknown): string | null {
  if (name === undefined || name === null || name === '') return GroupReasons.nameRequired;
  if (typeof name !== 'string') return GroupReasons.nameInvalid;
  const length = characterCount(name);
  if (length < 1 || length > GROUP_NAME_MAX || FORBIDDEN.test(name) || !name.isWellFormed()) return GroupReasons.nameInvalid;
  return null;
}

export function addedNotice(groupName: string): string {
  return `You have been added to group "${groupName}"`;
}
