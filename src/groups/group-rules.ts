import { characterCount } from '../users/user-rules';

export const GROUP_NAME_MAX = 64;
export const GROUP_MEMBERS_MAX = 1000;
/** Control and format characters (U+202E, zero-width ones) make a name that looks like another. */
const FORBIDDEN = /[\p{Cc}\p{Cf}<>"'&]/u;

export const GroupReasons = {
  nameRequired: 'groupName is required',
  nameInvalid: `groupName must be 1 to ${GROUP_NAME_MAX} characters, without control or format characters or any of < > " ' &`,
  nameTaken: 'Group name is already taken',
  notFound: 'Group does not exist',
  notMember: 'You are not a member of this group',
  notInGroup: 'Message is not in this group',
  userNotMember: 'User is not a member of this group',
  membersInvalid: `members must be an array of at most ${GROUP_MEMBERS_MAX} usernames`,
  usernameMismatch: 'username must be the logged-in user',
  unknownUser: 'User does not exist',
  tooManyGroups: (max: number) => `You are a member of too many groups (at most ${max})`,
  tooManyCreated: (seconds: number) => `Too many groups created, please try again in ${seconds} s`,
} as const;

/** Names are kept in NFC, so that one name typed on two keyboards is one group. */
export function normalizeGroupName(name: string): string {
  return name.normalize('NFC');
}

/** What two names that must not both exist share: NFC and case-folded ("Team", "TEAM", "ß"/"SS"). */
export function groupNameKey(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

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
