import { GroupReasons, addedNotice, groupNameProblem } from './group-rules';

describe('group rules', () => {
  it('accepts 1 to 64 characters of any script, spaces included', () => {
    expect(groupNameProblem('a')).toBeNull();
    expect(groupNameProblem('Team chat 2026')).toBeNull();
    expect(groupNameProblem('家族')).toBeNull();
    expect(groupNameProblem('😀'.repeat(64))).toBeNull();
  });

  it('refuses missing, long, markup and control characters', () => {
    expect(groupNameProblem(undefined)).toBe(GroupReasons.nameRequired);
    expect(groupNameProblem('')).toBe(GroupReasons.nameRequired);
    expect(groupNameProblem(5)).toBe(GroupReasons.nameInvalid);
    expect(groupNameProblem('x'.repeat(65))).toBe(GroupReasons.nameInvalid);
    for (const bad of ['<b>', 'a"b', "a'b", 'a&b', 'a>b', 'tab\there', 'nul\u0000', 'bell\u0007', 'half\ud800']) {
      expect(groupNameProblem(bad)).toBe(GroupReasons.nameInvalid);
    }
  });

  it('words the added notice as the protocol does', () => {
    expect(addedNotice('friends')).toBe('You have been added to group "friends"');
  });
});
