import WebSocket from 'ws';
import { ChatConnection, DELIVERED_SEQS_MAX } from './chat-connection';
import { CloseCode } from '../protocol';

/** The socket side of a connection, isolated: what was written, nothing sent anywhere. */
function fakeSocket(): { socket: WebSocket; sent: string[] } {
  const sent: string[] = [];
  const socket = {
    readyState: WebSocket.OPEN,
    bufferedAmount: 0,
    // A frame given as bytes must still be a text frame.
    send: (frame: string | Buffer, options?: { binary?: boolean }) => {
      if (typeof frame !== 'string' && options?.binary !== false) throw new Error('a binary frame was sent');
      sent.push(frame.toString());
    },
    close: () => undefined,
    terminate: () => undefined,
  } as unknown as WebSocket;
  return { socket, sent };
}

function loggedIn(): { connection: ChatConnection; sent: string[] } {
  const { socket, sent } = fakeSocket();
  const connection = new ChatConnection(socket, '127.0.0.1', { maxBufferedBytes: 1 << 20, ratePerSec: 10, burst: 10 });
  connection.loggedIn('bob', 'session-1');
  return { connection, sent };
}

const live = (id: string) => ({ frame: `live ${id}`, messageId: id });

describe('ChatConnection replays', () => {
  it(
    'a replay asked for while one runs holds nothing of its own: ' +
      'every live delivery held by the first goes out, and the second is asked for again',
    () => {
      const { connection, sent } = loggedIn();
      const login = connection.beginReplay();
      expect(login).toBeGreaterThan(0);
      connection.deliver(live('1'));
      connection.deliver(live('2'));
      // A resync (the bus came back) while the login's replay still runs.
      expect(connection.beginReplay()).toBe(0);
      connection.deliver(live('3'));
      connection.replay({ frame: 'stored 0', messageId: '0' });
      expect(sent).toEqual(['stored 0']);
      expect(connection.endReplay(login)).toBe(true);
      expect(sent).toEqual(['stored 0', 'live 1', 'live 2', 'live 3']);
      // Now the resync can run, on its own.
      const resync = connection.beginReplay();
      expect(resync).toBeGreaterThan(login);
      expect(connection.endReplay(resync)).toBe(false);
    },
  );

  it('drops the live copies of what the replay sent', () => {
    const { connection, sent } = loggedIn();
    const replay = connection.beginReplay();
    connection.deliver(live('7'));
    connection.deliver(live('8'));
    connection.replay({ frame: 'stored 7', messageId: '7' });
    expect(connection.endReplay(replay)).toBe(false);
    expect(sent).toEqual(['stored 7', 'live 8']);
  });

  it('keeps a MessageChanged held during a replay of its message, and a live copy of a message whose change was replayed', () => {
    const { connection, sent } = loggedIn();
    const replay = connection.beginReplay();
    // The change, live: a push without messageId, not a copy of message 7.
    connection.deliver({ frame: 'changed 7' });
    connection.deliver(live('8'));
    connection.replay({ frame: 'stored 7', messageId: '7' });
    connection.replay({ frame: 'change of 8', messageId: '8', push: true });
    connection.endReplay(replay);
    expect(sent).toEqual(['stored 7', 'change of 8', 'changed 7', 'live 8']);
  });

  it("a replay that outlived a logout does not end the next login's replay", () => {
    const { connection, sent } = loggedIn();
    const old = connection.beginReplay();
    connection.loggedOut(60_000);
    connection.loggedIn('bob', 'session-1');
    const next = connection.beginReplay();
    connection.deliver(live('9'));
    expect(connection.endReplay(old)).toBe(false);
    expect(sent).toEqual([]);
    connection.endReplay(next);
    expect(sent).toEqual(['live 9']);
    connection.dispose();
  });
});

describe('ChatConnection login deadline', () => {
  const LOGIN_TIMEOUT_MS = 1000;
  const closes = () => {
    const { socket, sent } = fakeSocket();
    const closed: number[] = [];
    (socket as unknown as { close: (code: number) => void }).close = (code: number) => closed.push(code);
    return { connection: new ChatConnection(socket, '127.0.0.1', { maxBufferedBytes: 1 << 20, ratePerSec: 10, burst: 10 }), sent, closed };
  };

  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('a logged-in connection holds no login timer', () => {
    const { connection, closed } = closes();
    connection.startLoginTimer(LOGIN_TIMEOUT_MS);
    connection.loggedIn('bob', 'session-1');
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(LOGIN_TIMEOUT_MS * 2);
    expect(closed).toEqual([]);
  });

  it('a login undone is held to the first deadline again, not to a new one', () => {
    const { connection, closed } = closes();
    connection.startLoginTimer(LOGIN_TIMEOUT_MS);
    jest.advanceTimersByTime(LOGIN_TIMEOUT_MS / 2);
    connection.loggedIn('bob', 'session-1');
    connection.loginUndone();
    jest.advanceTimersByTime(LOGIN_TIMEOUT_MS / 2 - 1);
    expect(closed).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(closed).toEqual([CloseCode.LoginTimeout]);
  });
});

describe('ChatConnection: the ordered messages it wrote, for their Ack', () => {
  const group = (id: string, seq: number, stream = 'g:1') => ({ frame: `g ${id}`, messageId: id, stream, seq });

  it('places the acknowledged ids it wrote (highest seq per stream), once, and leaves the others to a lookup', () => {
    const { connection } = loggedIn();
    connection.deliver(group('10', 1));
    connection.deliver(group('11', 2));
    connection.deliver(group('20', 5, 'g:2'));
    connection.replay(group('30', 7, 'g:3'));
    const { seqs, others } = connection.takeDeliveredSeqs(['10', '11', '20', '30', '99']);
    expect(seqs).toEqual(
      new Map([
        ['g:1', 2],
        ['g:2', 5],
        ['g:3', 7],
      ]),
    );
    expect(others).toEqual(['99']);
    // Forgotten once acknowledged: an Ack repeated goes to the lookup.
    expect(connection.takeDeliveredSeqs(['11'])).toEqual({ seqs: new Map(), others: ['11'] });
  });

  it('keeps at most DELIVERED_SEQS_MAX, the oldest forgotten first', () => {
    const { connection } = loggedIn();
    for (let seq = 1; seq <= DELIVERED_SEQS_MAX + 10; seq++) connection.deliver(group(String(seq), seq));
    const { seqs, others } = connection.takeDeliveredSeqs(['1', '10', '11', String(DELIVERED_SEQS_MAX + 10)]);
    expect(others).toEqual(['1', '10']);
    expect(seqs).toEqual(new Map([['g:1', DELIVERED_SEQS_MAX + 10]]));
  });

  it('forgets them at a new login and at logout: another user acknowledging them moves no cursor of theirs', () => {
    const { connection } = loggedIn();
    connection.deliver(group('10', 1));
    connection.loggedIn('carol', 'session-2');
    expect(connection.takeDeliveredSeqs(['10'])).toEqual({ seqs: new Map(), others: ['10'] });
    connection.deliver(group('11', 2));
    connection.loggedOut(60_000);
    connection.loggedIn('dave', 'session-3');
    expect(connection.takeDeliveredSeqs(['11'])).toEqual({ seqs: new Map(), others: ['11'] });
    connection.close(1000, 'done');
  });
});
