import {
  HELP_TEXT,
  formatConversation,
  formatMessage,
  formatPresence,
  gaveUpLine,
  messageChangedLine,
  parseCommand,
  presenceLine,
  readReceiptLine,
  reconnectLine,
  sanitizeText,
  stateLine,
  typingLine,
} from './cli-commands';

describe('parseCommand', () => {
  it.each([
    ['register alice s3cret!', { kind: 'register', username: 'alice', password: 's3cret!' }],
    ['  login   bob pass123  ', { kind: 'login', username: 'bob', password: 'pass123' }],
    ['LOGIN bob pass123', { kind: 'login', username: 'bob', password: 'pass123' }],
    ['gcreate team', { kind: 'gcreate', groupName: 'team', members: [] }],
    ['gcreate team bob,carol', { kind: 'gcreate', groupName: 'team', members: ['bob', 'carol'] }],
    ['gcreate team bob, carol dave', { kind: 'gcreate', groupName: 'team', members: ['bob', 'carol', 'dave'] }],
    ['gjoin team', { kind: 'gjoin', groupName: 'team' }],
    ['gquit team', { kind: 'gquit', groupName: 'team' }],
    ['gmembers "the team"', { kind: 'gmembers', groupName: 'the team' }],
    ['gcreate #team bob,carol', { kind: 'gcreate', groupName: 'team', members: ['bob', 'carol'] }],
    ['gjoin #team', { kind: 'gjoin', groupName: 'team' }],
    ['gquit #team', { kind: 'gquit', groupName: 'team' }],
    ['gmembers #"the team"', { kind: 'gmembers', groupName: 'the team' }],
    ['gmembers "#the team"', { kind: 'gmembers', groupName: 'the team' }],
    ['gjoin ##hash', { kind: 'gjoin', groupName: '#hash' }],
    ['history #"the team"', { kind: 'history', groupName: 'the team' }],
    ['history bob', { kind: 'history', with: 'bob' }],
    ['history #team 1234', { kind: 'history', groupName: 'team', beforeId: '1234' }],
    ['logout', { kind: 'logout', everywhere: false }],
    ['logout everywhere', { kind: 'logout', everywhere: true }],
    ['passwd old-pass new-pass', { kind: 'passwd', oldPassword: 'old-pass', newPassword: 'new-pass' }],
    ['logout now', { kind: 'invalid', error: 'Usage: logout [everywhere]' }],
    ['passwd only-one', { kind: 'invalid', error: 'Usage: passwd <old> <new>' }],
    ['help', { kind: 'help' }],
    ['quit', { kind: 'quit' }],
    ['exit', { kind: 'quit' }],
    ['', { kind: 'empty' }],
    ['    ', { kind: 'empty' }],
  ])('parses %j', (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });

  it('keeps message text as typed after the recipient', () => {
    expect(parseCommand('send bob hello   there, "friend" ')).toEqual({
      kind: 'send',
      to: 'bob',
      content: 'hello   there, "friend" ',
    });
    expect(parseCommand('gsend "my team" <b>not html</b>')).toEqual({
      kind: 'gsend',
      groupName: 'my team',
      content: '<b>not html</b>',
    });
  });

  it('takes #team wherever a group stands, and bare names where only a group can', () => {
    const sent = { kind: 'gsend', groupName: 'team', content: 'hi all' };
    expect(parseCommand('gsend #team hi all')).toEqual(sent);
    expect(parseCommand('gsend team hi all')).toEqual(sent);
    expect(parseCommand('send #team hi all')).toEqual(sent);
    expect(parseCommand('send team hi all')).toEqual({ kind: 'send', to: 'team', content: 'hi all' });
    expect(parseCommand('history team')).toEqual({ kind: 'history', with: 'team' });
  });

  it('shows #group in the help for every command that takes a group', () => {
    for (const command of ['gsend', 'gcreate', 'gjoin', 'gquit', 'gmembers']) {
      expect(HELP_TEXT).toMatch(new RegExp(`^  ${command} #group`, 'm'));
    }
    expect(HELP_TEXT).toMatch(/^ {2}send <user\|#group>/m);
    expect(HELP_TEXT).toMatch(/^ {2}history <user\|#group>/m);
    expect(HELP_TEXT).not.toMatch(/<group>/);
  });

  it.each([
    ['register alice', 'Usage: register <user> <pass>'],
    ['login alice pass extra', 'Usage: login <user> <pass>'],
    ['send bob', 'Usage: send <user|#group> <text...>'],
    ['send bob    ', 'Usage: send <user|#group> <text...>'],
    ['send # hi', 'Usage: send <user|#group> <text...>'],
    ['send #team', 'Usage: send <user|#group> <text...>'],
    ['gsend', 'Usage: gsend #group <text...>'],
    ['gsend #team', 'Usage: gsend #group <text...>'],
    ['gsend # hi', 'Usage: gsend #group <text...>'],
    ['gcreate', 'Usage: gcreate #group [member,member]'],
    ['gcreate #', 'Usage: gcreate #group [member,member]'],
    ['gjoin', 'Usage: gjoin #group'],
    ['gquit #', 'Usage: gquit #group'],
    ['gmembers a b', 'Usage: gmembers #group'],
    ['history #', 'Usage: history <user|#group> [beforeId]'],
    ['history', 'Usage: history <user|#group> [beforeId]'],
    ['history bob abc', 'beforeId must be a message id (digits)'],
    ['dance now', 'Unknown command "dance"; type help'],
  ])('refuses %j', (line, error) => {
    expect(parseCommand(line)).toEqual({ kind: 'invalid', error });
  });
});

describe('formatMessage', () => {
  const time = '2024-05-01T12:00:00.000+02:00';

  it('prints a direct message as [time] from: content', () => {
    expect(formatMessage({ kind: 'chat', messageId: '1', from: 'bob', to: 'alice', content: 'hi <b>', offline: false, time })).toBe(
      '[2024-05-01T12:00:00.000+02:00] bob: hi <b>',
    );
  });

  it('names the group and marks offline deliveries', () => {
    expect(formatMessage({ kind: 'group', messageId: '2', from: 'bob', groupName: 'team', content: 'yo', offline: true, time })).toBe(
      '[2024-05-01T12:00:00.000+02:00] bob @ #team (offline): yo',
    );
  });

  it('neutralises terminal escape sequences in content', () => {
    const line = formatMessage({
      kind: 'chat',
      messageId: '3',
      from: 'eve\u001b[2J',
      to: 'alice',
      content: 'a\u001b]0;pwned\u0007b\rc',
      offline: false,
      time,
    });
    expect(line).toBe('[2024-05-01T12:00:00.000+02:00] eve\\u001b[2J: a\\u001b]0;pwned\\u0007b\\u000dc');
    expect(line).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

describe('sanitizeText', () => {
  it('keeps newlines, tabs and non-ASCII text', () => {
    expect(sanitizeText('line one\n\tline two — ünïcode 你好')).toBe('line one\n\tline two — ünïcode 你好');
  });
});

describe('stateLine', () => {
  const bob = { url: 'ws://127.0.0.1:9093/ws', username: 'bob' };

  it('says when the connection is lost, once, and when it is back, with who is logged in', () => {
    expect(stateLine('connected', 'reconnecting', bob)).toBe('Connection to ws://127.0.0.1:9093/ws lost.');
    expect(stateLine('reconnecting', 'reconnecting', bob)).toBeUndefined();
    expect(stateLine('reconnecting', 'connected', bob)).toBe('Reconnected to ws://127.0.0.1:9093/ws, logged in as bob.');
    expect(stateLine('reconnecting', 'connected', { ...bob, username: undefined })).toBe(
      'Reconnected to ws://127.0.0.1:9093/ws, not logged in (log in again).',
    );
  });

  it('says where a move ended, or that it failed', () => {
    expect(stateLine('connected', 'moved', bob)).toBeUndefined();
    expect(stateLine('moved', 'connected', bob)).toBe('Moved to ws://127.0.0.1:9093/ws, logged in as bob.');
    expect(stateLine('moved', 'connected', bob, 'ws://10.0.0.7:9092/ws')).toBe(
      'The move to ws://10.0.0.7:9092/ws failed; still on ws://127.0.0.1:9093/ws, logged in as bob.',
    );
    expect(stateLine('moved', 'reconnecting', bob)).toBe('Connection to ws://127.0.0.1:9093/ws lost.');
  });

  it('says which reconnect attempt comes, of how many, and when; and when they ran out', () => {
    expect(reconnectLine({ attempt: 1, delay: 180 }, 10)).toBe('Reconnecting (attempt 1 of 10) in 0.2 s...');
    expect(reconnectLine({ attempt: 7, delay: 9_960 }, 10)).toBe('Reconnecting (attempt 7 of 10) in 10.0 s...');
    expect(gaveUpLine(bob.url, { attempts: 10, error: new Error('connection to ws://127.0.0.1:9093/ws closed (1006)') })).toBe(
      'Gave up reconnecting to ws://127.0.0.1:9093/ws after 10 failed attempts (connection to ws://127.0.0.1:9093/ws closed (1006)).',
    );
  });

  it('leaves the first connection and the end to the lines printed for them', () => {
    expect(stateLine('closed', 'connecting', bob)).toBeUndefined();
    expect(stateLine('connecting', 'connected', bob)).toBeUndefined();
    expect(stateLine('connected', 'closed', bob)).toBeUndefined();
  });
});

describe('the commands of presence, typing, read receipts, conversations, edit and recall', () => {
  it.each([
    ['presence bob', { kind: 'presence', usernames: ['bob'], subscribe: false }],
    ['presence bob, carol dave', { kind: 'presence', usernames: ['bob', 'carol', 'dave'], subscribe: false }],
    ['watch bob carol', { kind: 'presence', usernames: ['bob', 'carol'], subscribe: true }],
    ['typing bob', { kind: 'typing', conversation: { with: 'bob' } }],
    ['typing #"my team"', { kind: 'typing', conversation: { groupName: 'my team' } }],
    ['read bob', { kind: 'read', conversation: { with: 'bob' } }],
    ['read #team 42', { kind: 'read', conversation: { groupName: 'team' }, messageId: '42' }],
    ['conversations', { kind: 'conversations' }],
    ['conversations 10', { kind: 'conversations', limit: 10 }],
    ['conversations 10 abc:123', { kind: 'conversations', limit: 10, before: 'abc:123' }],
    ['edit 42 better   words ', { kind: 'edit', messageId: '42', content: 'better   words ' }],
    ['recall 42', { kind: 'recall', messageId: '42' }],
  ])('parses %j', (line, command) => {
    expect(parseCommand(line)).toEqual(command);
  });

  it.each([
    ['presence', 'Usage: presence <user...>'],
    ['watch  ', 'Usage: watch <user...>'],
    ['typing', 'Usage: typing <user|#group>'],
    ['typing bob now', 'Usage: typing <user|#group>'],
    ['typing #', 'Usage: typing <user|#group>'],
    ['read', 'Usage: read <user|#group> [messageId]'],
    ['read bob 1 2', 'Usage: read <user|#group> [messageId]'],
    ['read bob last', 'messageId must be a message id (digits)'],
    ['conversations 0', 'limit must be a whole number from 1 to 100'],
    ['conversations 101', 'limit must be a whole number from 1 to 100'],
    ['conversations ten', 'limit must be a whole number from 1 to 100'],
    ['conversations 5 a b', 'Usage: conversations [limit] [cursor]'],
    ['edit 42', 'Usage: edit <messageId> <text...>'],
    ['edit', 'Usage: edit <messageId> <text...>'],
    ['edit last hi', 'messageId must be a message id (digits)'],
    ['recall', 'Usage: recall <messageId>'],
    ['recall 4 2', 'Usage: recall <messageId>'],
    ['recall x', 'messageId must be a message id (digits)'],
  ])('refuses %j', (line, error) => {
    expect(parseCommand(line)).toEqual({ kind: 'invalid', error });
  });

  it('lists every new command in the help', () => {
    for (const command of ['presence', 'watch', 'typing', 'read', 'conversations', 'edit', 'recall']) {
      expect(HELP_TEXT).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  const time = '2024-05-01T12:00:00.000Z';

  it('prints presence answers and pushes', () => {
    expect(formatPresence({ username: 'bob', online: true, lastSeen: null })).toBe('bob: online');
    expect(formatPresence({ username: 'bob', online: false, lastSeen: time })).toBe(`bob: offline, last seen ${time}`);
    expect(formatPresence({ username: 'bob', online: false, lastSeen: null })).toBe('bob: offline, never seen');
    expect(presenceLine({ username: 'bob', online: true, lastSeen: time })).toBe('bob is online.');
    expect(presenceLine({ username: 'bob', online: false, lastSeen: time })).toBe(`bob went offline (last seen ${time}).`);
  });

  it('prints typing, read receipts and changed messages', () => {
    expect(typingLine({ kind: 'chat', from: 'bob', to: 'alice' })).toBe('bob is typing...');
    expect(typingLine({ kind: 'group', from: 'bob', groupName: 'team' })).toBe('bob is typing in #team...');
    expect(readReceiptLine({ kind: 'chat', from: 'bob', with: 'bob', messageId: '12' }, 'alice')).toBe('bob read your messages up to #12.');
    const reads = [
      { from: 'alice', messageId: '6' },
      { from: 'bob', messageId: '7' },
    ];
    expect(readReceiptLine({ kind: 'group', from: 'bob', groupName: 'team', messageId: '7', reads }, 'alice')).toBe(
      'You read #team up to #6.\nbob read #team up to #7.',
    );
    expect(readReceiptLine({ kind: 'chat', from: 'alice', with: 'bob', messageId: '12' }, 'alice')).toBe('You read bob up to #12.');
    const edit = { kind: 'chat', messageId: '5', from: 'bob', to: 'alice', recalled: false, editedAt: time } as const;
    expect(messageChangedLine({ ...edit, content: 'fixed\u001b[2J' })).toBe('bob edited #5: fixed\\u001b[2J');
    expect(messageChangedLine({ kind: 'group', messageId: '6', from: 'bob', groupName: 'team', recalled: true, editedAt: time })).toBe(
      'bob recalled #6 in #team.',
    );
  });

  it('marks edited and recalled messages, and lists conversations with their unread counts', () => {
    const message = { kind: 'chat', messageId: '1', from: 'bob', to: 'alice', content: 'hi', offline: false, time } as const;
    expect(formatMessage({ ...message, editedAt: time })).toBe(`[${time}] bob: hi (edited)`);
    expect(formatMessage({ ...message, content: '', editedAt: time, recalled: true })).toBe(`[${time}] bob: (message recalled)`);
    expect(formatConversation({ kind: 'chat', with: 'bob', peerReadUpTo: null, unread: 3, readUpTo: null, lastMessage: message })).toBe(
      `@bob (3 unread): [${time}] bob: hi`,
    );
    const groupMessage = { kind: 'group', messageId: '2', from: 'alice', groupName: 'team', content: 'yo', offline: false, time } as const;
    expect(formatConversation({ kind: 'group', groupName: 'team', unread: 0, readUpTo: '2', lastMessage: groupMessage })).toBe(
      `#team (read): [${time}] alice @ #team: yo`,
    );
  });
});
