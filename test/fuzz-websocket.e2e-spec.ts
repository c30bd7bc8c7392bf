import fc from 'fast-check';
import { CloseCode, MessageType, RESPONSE_TYPE, RefusalCode } from '../src/protocol';
import {
  ODD_STRINGS,
  clip,
  contentOf,
  deepValue,
  frameOf,
  fuzzRuns,
  labelled,
  leakIn,
  malformedJson,
  mostly,
  oddNumber,
  oddString,
  oddValue,
  passwordOf,
  plainObject,
  preview,
  rawNumber,
  toWire,
} from './helpers/arbitraries';
import { MODE } from './helpers/environment';
import { useFixture } from './helpers/fixture';
import { Instance } from './helpers/instance';
import { forgeToken, nowSeconds } from './helpers/tokens';
import { Frame, WsTestClient, pagedHistory, tokenOf, uniqueName } from './helpers/ws-client';
import { sleep } from './helpers/wait';

const PUBLIC_TYPES = new Set<number>([MessageType.Ping, MessageType.LoginRequest, MessageType.RegisterRequest]);
/** The fields a refusal of each response type carries besides success and reason (docs/protocol.md §2). */
const REFUSAL_FIELDS: Record<number, string[]> = {
  [MessageType.Pong]: [],
  [MessageType.ChatResponse]: ['from', 'to', 'content', 'messageId', 'delivered', 'offline'],
  [MessageType.GroupChatResponse]: ['from', 'groupName', 'content', 'messageId', 'offline'],
  [MessageType.GroupCreateResponse]: ['groupName', 'members'],
  [MessageType.GroupJoinResponse]: ['groupName'],
  [MessageType.GroupMembersResponse]: ['groupName', 'members'],
  [MessageType.GroupQuitResponse]: ['groupName'],
  [MessageType.LoginResponse]: ['username', 'token'],
  [MessageType.RegisterResponse]: [],
  [MessageType.HistoryResponse]: ['messages'],
  [MessageType.Error]: [],
  [MessageType.LogoutResponse]: [],
  [MessageType.ChangePasswordResponse]: ['token'],
  [MessageType.PresenceResponse]: ['presence'],
  [MessageType.ReadResponse]: ['with', 'groupName', 'messageId'],
  [MessageType.ConversationsResponse]: ['conversations', 'next'],
  [MessageType.EditResponse]: ['messageId', 'editedAt'],
  [MessageType.RecallResponse]: ['messageId', 'editedAt'],
};
/** Every request type: the keys of the request→response table. */
const REQUEST_TYPES = Object.keys(RESPONSE_TYPE).map(Number);
const INTERNAL_ERROR = 'Internal error, please try again later';
const REFUSAL_CODES = new Set<unknown>(Object.values(RefusalCode));
const INTERNAL_ANSWER = 'client input answered as an internal error';
const PASSWORD = 'secret-pass';
const MAX_FRAME_BYTES = 32768;
const MAX_CONTENT_BYTES = 20000;
const USERNAME_RULE = /^[\p{L}\p{M}\p{N}_.-]{3,30}$/u;

interface Expected {
  /** The response type, 26 for a frame-level error, or null for an Ack (no answer unless refused). */
  type: number | null;
  sequenceId: number;
  reason?: string;
  reasonPrefix?: string;
  /** The frame as the server parses it (after the UTF-8 round trip), when it is an object. */
  request?: Record<string, unknown>;
}

/** What the protocol says the answer to `wire` is, from the frame checks of docs/protocol.md §2. */
function expectedAnswer(wire: string, isLoggedIn: boolean): Expected {
  let parsed: unknown;
  try {
    // The server reads the frame as UTF-8: lone surrogates arrive as U+FFFD.
    parsed = JSON.parse(Buffer.from(wire, 'utf8').toString('utf8'));
  } catch {
    return { type: MessageType.Error, sequenceId: 0, reason: 'Invalid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { type: MessageType.Error, sequenceId: 0, reason: 'A frame must be a JSON object' };
  const request = parsed as Record<string, unknown>;
  const sequenceId = request.sequenceId ?? 0;
  if (!Number.isSafeInteger(sequenceId)) return { type: MessageType.Error, sequenceId: 0, reason: 'sequenceId must be an integer' };
  const seq = sequenceId as number;
  if (request.messageType === undefined) return { type: MessageType.Error, sequenceId: seq, reason: 'messageType is required', request };
  const messageType = request.messageType;
  if (typeof messageType !== 'number' || !Number.isInteger(messageType) || !(messageType in RESPONSE_TYPE)) {
    return { type: MessageType.Error, sequenceId: seq, reasonPrefix: 'Unknown messageType: ', request };
  }
  const responseType = RESPONSE_TYPE[messageType];
  if (!isLoggedIn && !PUBLIC_TYPES.has(messageType))
    return { type: responseType ?? MessageType.Error, sequenceId: seq, reason: 'Please log in', request };
  return { type: responseType, sequenceId: seq, request };
}

/** Problems with the shape of one answer, per docs/protocol.md §2. */
function shapeProblems(answer: Frame, expected: Expected, username: string | null): string[] {
  const problems: string[] = [];
  const type = expected.type ?? MessageType.Error;
  if (answer.messageType !== type) problems.push(`answered with type ${String(answer.messageType)} instead of ${type}`);
  if (answer.sequenceId !== expected.sequenceId) problems.push(`sequenceId ${String(answer.sequenceId)} instead of ${expected.sequenceId}`);
  if (typeof answer.time !== 'string' || Number.isNaN(Date.parse(answer.time))) problems.push('no ISO time');
  if (expected.reason !== undefined && answer.reason !== expected.reason)
    problems.push(`reason ${preview(answer.reason)} instead of ${preview(expected.reason)}`);
  if (expected.reasonPrefix !== undefined && !(typeof answer.reason === 'string' && answer.reason.startsWith(expected.reasonPrefix))) {
    problems.push(`reason ${preview(answer.reason)} does not start with ${preview(expected.reasonPrefix)}`);
  }
  const refused = answer.success === false || answer.messageType === MessageType.Error;
  if (refused) {
    if (answer.success !== false) problems.push(`a type ${MessageType.Error} without success:false`);
    if (typeof answer.reason !== 'string' || answer.reason === '') problems.push('a refusal without a reason');
    if (answer.reason === INTERNAL_ERROR) problems.push(INTERNAL_ANSWER);
    if (!REFUSAL_CODES.has(answer.code)) problems.push(`a refusal with code ${preview(answer.code)}`);
    for (const field of REFUSAL_FIELDS[answer.messageType as number] ?? []) if (!(field in answer)) problems.push(`refusal lacks ${field}`);
  } else if (answer.messageType === MessageType.Pong) {
    if ('success' in answer) problems.push('a Pong with success other than false');
  } else {
    if (answer.success !== true) problems.push(`success is ${preview(answer.success)}`);
    if (answer.reason !== null) problems.push(`a success with reason ${preview(answer.reason)}`);
    if (
      (answer.messageType === MessageType.ChatResponse || answer.messageType === MessageType.GroupChatResponse) &&
      answer.from !== username
    )
      problems.push(`an acknowledgement from ${preview(answer.from)}`);
  }
  return problems;
}

function fail(problems: string[], wire: string, frames: Frame[]): never {
  throw new Error(`${problems.join('; ')}\n  sent: ${clip(wire)}\n  got: ${frames.map((f) => preview(f, 300)).join('\n       ')}`);
}

/** A name nobody has taken: `minLength` to `maxLength` graphemes, then the first `idLength` characters of a UUID. */
function unusedName(minLength: number, maxLength: number, idLength: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.string({ unit: 'grapheme', minLength, maxLength }), fc.uuid())
    .map(([prefix, id]) => `${prefix}${id.slice(0, idLength)}`);
}

jest.setTimeout(180000);

/** The title's claim of the ChatRequest and GroupChatRequest properties. */
const ONLY_ACKNOWLEDGED_STORED = 'refused sends store nothing; history and offline replay hold exactly the acknowledged ones';

describe(`WebSocket fuzzing (${MODE})`, () => {
  // Wrong passwords are part of the fuzz: the lockout would only hide what comes after it.
  const settings = { RATE_LIMIT_PER_SEC: '100000', RATE_LIMIT_BURST: '100000', LOCKOUT_MAX_ERRORS: '1000000' };
  const fixture = useFixture({ settings, closeClientsAfterEach: true });
  let server: Instance;

  /** One connection under fuzz: sends a frame, waits for its answer, checks it, then checks a Ping still gets its Pong. */
  class Probe {
    username: string | null = null;
    /** When set, internal-error answers are listed here instead of failing at once, so that a test can check what was stored first. */
    internalErrors: string[] | null = null;
    private readonly raw: string[] = [];
    private sequence = 1;
    private marker = 2_000_000_000;
    private readonly closedError: Promise<never>;

    constructor(readonly client: WsTestClient) {
      client.socket.on('message', (data, isBinary) => {
        if (!isBinary) this.raw.push(data.toString());
      });
      this.closedError = client.closed.then((closed) => {
        throw new Error(
          `the connection closed (${closed.code} ${closed.reason}); server running: ${server.running}\n${server.logs.slice(-1500)}`,
        );
      });
      this.closedError.catch(() => undefined);
    }

    nextSequence(): number {
      return this.sequence++;
    }

    /** Sends `frame` (a generated object, its sequenceId set here unless given) and returns the answer, checked. */
    async send(frame: Record<string, unknown>): Promise<{ answer: Frame | null; expected: Expected; wire: string }> {
      if (!('sequenceId' in frame)) frame.sequenceId = this.nextSequence();
      return this.sendWire(toWire(frame));
    }

    async sendWire(wire: string): Promise<{ answer: Frame | null; expected: Expected; wire: string }> {
      fc.pre(Buffer.byteLength(wire, 'utf8') <= MAX_FRAME_BYTES - 64);
      const expected = expectedAnswer(wire, this.username !== null);
      const from = this.client.received.length;
      const rawFrom = this.raw.length;
      this.client.sendRaw(wire);
      const matches = (f: Frame) =>
        f.sequenceId === expected.sequenceId &&
        (f.messageType === MessageType.Error ||
          (f.messageType === expected.type && (f.messageType !== MessageType.ChatResponse || f.content === null)));
      let answer: Frame | null = null;
      if (expected.type !== null) answer = await this.wait(from, matches, 20000, `the answer to ${clip(wire, 200)}`);
      await this.ping(wire);
      const answers = this.client.received.slice(from).filter(matches);
      if (expected.type === null) answer = answers[0] ?? null;
      const problems: string[] = [];
      if (answers.length > 1) problems.push(`${answers.length} answers`);
      if (answer) problems.push(...shapeProblems(answer, expected, this.username));
      if (expected.type === null && answer && expected.request?.messageType === MessageType.Ack) {
        // A refused Ack is an Error frame naming the bad ids.
        if (!/^messageIds must/.test(String(answer.reason))) problems.push(`Ack refused with ${preview(answer.reason)}`);
      }
      for (const text of this.raw.slice(rawFrom)) {
        const leak = leakIn(text);
        if (leak) problems.push(`a frame leaks "${leak}"`);
      }
      if (this.internalErrors && problems.includes(INTERNAL_ANSWER)) {
        this.internalErrors.push(clip(wire, 300));
        problems.splice(problems.indexOf(INTERNAL_ANSWER), 1);
      }
      if (problems.length > 0) fail(problems, wire, this.client.received.slice(from));
      if (answer?.messageType === MessageType.LoginResponse && answer.success === true) this.username = answer.username as string;
      if (answer?.messageType === MessageType.LogoutResponse && answer.success === true) this.username = null;
      return { answer, expected, wire };
    }

    /** The connection is still usable: a Ping gets its Pong. */
    async ping(after: string): Promise<void> {
      const marker = this.marker++;
      const from = this.client.received.length;
      this.client.sendRaw(JSON.stringify({ messageType: MessageType.Ping, sequenceId: marker, requestTime: marker }));
      await this.wait(
        from,
        (f) => f.messageType === MessageType.Pong && f.sequenceId === marker,
        20000,
        `the Pong after ${clip(after, 200)}`,
      );
    }

    private wait(from: number, match: (f: Frame) => boolean, timeoutMs: number, what: string): Promise<Frame> {
      const seen = this.client.received.slice(from).find(match);
      if (seen) return Promise.resolve(seen);
      return Promise.race([this.client.waitFor(match, timeoutMs, what), this.closedError]);
    }
  }

  async function connect(): Promise<Probe> {
    return new Probe(await fixture.connect(server));
  }

  /** New users, registered and not online. */
  const accounts = (...prefixes: string[]): Promise<string[]> => fixture.registeredMany(server, ...prefixes);
  const account = (prefix: string): Promise<string> => fixture.registered(server, prefix, PASSWORD);

  async function session(name: string): Promise<Probe> {
    const probe = new Probe(await fixture.session(server, name, PASSWORD));
    probe.username = name;
    return probe;
  }

  async function group(owner: Probe, members: string[]): Promise<string> {
    const name = `grp ${uniqueName('g')}`;
    const created = await owner.client.request({ messageType: MessageType.GroupCreateRequest, groupName: name, members });
    if (created.success !== true) throw new Error(`create ${name}: ${String(created.reason)}`);
    return name;
  }

  /** Every message of a conversation, paging back with beforeId. */
  function fullHistory(client: WsTestClient, query: Record<string, unknown>): Promise<Frame[]> {
    return pagedHistory(client, query, 100, (page) => {
      if (page.success !== true) throw new Error(`history ${JSON.stringify(query)}: ${String(page.reason)}`);
    });
  }

  /** The offline replay of a fresh login, once `count` messages arrived and nothing more came for a moment. */
  async function replayOf(name: string, count: number): Promise<Frame[]> {
    const client = await fixture.session(server, name, PASSWORD);
    const offline = (f: Frame) =>
      (f.messageType === MessageType.ChatResponse || f.messageType === MessageType.GroupChatResponse) && f.offline === true;
    if (count > 0) await client.collect(offline, count, 20000);
    await sleep(500);
    return client.received.filter(offline);
  }

  async function expectAlive(): Promise<void> {
    expect(server.running).toBe(true);
    const health = await server.http('GET', '/health');
    expect(health.status).toBe(200);
    const probe = await connect();
    await probe.ping('the liveness check');
  }

  async function property<T>(arbitrary: fc.Arbitrary<T>, runs: number, body: (value: T) => Promise<void>): Promise<void> {
    await fc.assert(fc.asyncProperty(arbitrary, body), fuzzRuns(runs) as fc.Parameters<[T]>);
  }

  beforeAll(async () => {
    server = await fixture.start();
  }, 120000);

  beforeEach(async () => {
    // A property that killed the server fails alone: the next one gets a new instance.
    server = await fixture.alive(server);
  }, 120000);

  it(`answers text that is not a JSON object with type ${MessageType.Error} and keeps the connection`, async () => {
    const probe = await connect();
    await property(malformedJson, 200, async (wire) => {
      await probe.sendWire(wire);
    });
    await expectAlive();
  });

  it(`answers a messageType that names no request with type ${MessageType.Error}, before and after login`, async () => {
    const name = await account('mt');
    const anonymous = await connect();
    const member = await session(name);
    const messageType = fc.oneof(
      fc.constantFrom<unknown>(
        2,
        3,
        4,
        6,
        8,
        10,
        12,
        14,
        16,
        18,
        20,
        21,
        24,
        25,
        26,
        28,
        30,
        31,
        0,
        -1,
        255,
        2 ** 31,
        '1',
        '5',
        '27',
        true,
        null,
        [1],
        { messageType: MessageType.Ping },
      ),
      oddValue,
    );
    const frame = fc
      .tuple(messageType, fc.boolean(), fc.array(fc.tuple(fc.constantFrom('to', 'content', 'username', 'x'), oddValue), { maxLength: 2 }))
      .map(([mt, afterLogin, extra]) => ({ afterLogin, frame: labelled(plainObject([...extra, ['messageType', mt]])) }));
    await property(frame, 200, async ({ afterLogin, frame: f }) => {
      await (afterLogin ? member : anonymous).send({ ...f });
    });
    await expectAlive();
  });

  it(`answers a messageType of thousands of nested arrays with type ${MessageType.Error}, and stays up`, async () => {
    // Found by the property above: the server wrote the odd type into its reason with JSON.stringify, which overflows the stack.
    const anonymous = await connect();
    await anonymous.sendWire(toWire({ messageType: deepValue('array', 4500), sequenceId: 7 }));
    await expectAlive();
  });

  it(`answers an odd sequenceId with type ${MessageType.Error} (sequenceId 0) unless it is a safe integer`, async () => {
    const anonymous = await connect();
    const frame = fc
      .tuple(
        fc.constantFrom(MessageType.Ping, MessageType.Ping, MessageType.ChatRequest, MessageType.LoginRequest, MessageType.Ack, 99),
        fc.oneof(oddNumber, oddValue),
      )
      .map(([messageType, sequenceId]) => labelled({ messageType, sequenceId, requestTime: 1 }));
    await property(frame, 150, async (f) => {
      await anonymous.send({ ...f });
    });
    await expectAlive();
  });

  it('before login refuses every request but Ping, Register and Login with "Please log in", whatever its fields', async () => {
    const anonymous = await connect();
    const field = fc.oneof({ weight: 3, arbitrary: oddString }, { weight: 2, arbitrary: oddValue });
    const frame = fc
      .tuple(
        fc.constantFrom(...REQUEST_TYPES),
        fc.array(
          fc.tuple(
            fc.constantFrom(
              'to',
              'content',
              'groupName',
              'members',
              'username',
              'password',
              'token',
              'messageIds',
              'with',
              'limit',
              'beforeId',
              'from',
              'requestTime',
              'everywhere',
              'oldPassword',
              'newPassword',
              'usernames',
              'subscribe',
              'messageId',
              'before',
            ),
            field,
          ),
          { maxLength: 4 },
        ),
      )
      .map(([messageType, fields]) => labelled(plainObject([...fields, ['messageType', messageType]])));
    await property(frame, 200, async (f) => {
      await anonymous.send({ ...f });
    });
    await expectAlive();
  });

  it(`Ping (${MessageType.Ping}) echoes requestTime in its Pong`, async () => {
    const probe = await session(await account('ping'));
    await property(frameOf(MessageType.Ping, { requestTime: mostly(oddNumber) }), 150, async (f) => {
      const { answer, expected } = await probe.send({ ...f });
      const sent = expected.request?.requestTime;
      // JSON has no Infinity: 1e999 comes back as null.
      const echo = typeof sent === 'number' ? (Number.isFinite(sent) ? sent : null) : sent === undefined ? null : undefined;
      if (echo !== undefined && !Object.is(answer?.requestTime, echo === 0 ? 0 : echo))
        throw new Error(`requestTime ${preview(sent)} echoed as ${preview(answer?.requestTime)}`);
    });
    await expectAlive();
  });

  it(`ChatRequest (${MessageType.ChatRequest}): ${ONLY_ACKNOWLEDGED_STORED}`, async () => {
    const [sender, recipient, other] = await accounts('s5', 'r5', 'o5');
    const probe = await session(sender);
    probe.internalErrors = [];
    const accepted = new Map<string, { to: string; content: string }>();
    const frame = frameOf(MessageType.ChatRequest, {
      to: fc.oneof(
        { weight: 8, arbitrary: fc.constant(recipient) },
        { weight: 1, arbitrary: fc.constantFrom(sender, other, recipient.toUpperCase(), `${recipient} `, 'nobody-known') },
        { weight: 2, arbitrary: oddValue },
      ),
      content: contentOf(MAX_CONTENT_BYTES),
      from: fc.oneof(
        { weight: 3, arbitrary: fc.constant(sender) },
        { weight: 2, arbitrary: fc.constantFrom(recipient, other, sender.toUpperCase(), `${sender}\u0000`) },
        { weight: 1, arbitrary: oddValue },
      ),
      clientMessageId: fc.oneof(
        { weight: 3, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(64), 'x'.repeat(65), '\u0000', 'a\u0000b', '\ud800', '\u202e') },
        { weight: 1, arbitrary: oddValue },
      ),
    });
    await property(frame, 200, async (f) => {
      const { answer, expected } = await probe.send({ ...f });
      if (answer?.success !== true) return;
      const request = expected.request!;
      const content = request.content;
      if (
        typeof content !== 'string' ||
        content === '' ||
        content.includes('\u0000') ||
        !content.isWellFormed() ||
        Buffer.byteLength(content) > MAX_CONTENT_BYTES
      ) {
        throw new Error(`acknowledged a content the protocol forbids: ${preview(content)}`);
      }
      if (request.from !== undefined && request.from !== null && request.from !== sender)
        throw new Error(`acknowledged a send with from ${preview(request.from)}`);
      const id = answer.messageId as string;
      if (!accepted.has(id)) accepted.set(id, { to: answer.to as string, content });
    });
    const toRecipient = [...accepted].filter(([, m]) => m.to === recipient);
    expect(toRecipient.length).toBeGreaterThan(5);
    const byId = (frames: Frame[]) => new Map(frames.map((f) => [f.messageId as string, f.content]));
    const history = await fullHistory((await session(recipient)).client, { with: sender });
    expect(byId(history)).toEqual(new Map(toRecipient.map(([id, m]) => [id, m.content])));
    expect(history.every((f) => f.from === sender && f.to === recipient)).toBe(true);
    const replay = await replayOf(recipient, toRecipient.length);
    expect(byId(replay)).toEqual(new Map(toRecipient.map(([id, m]) => [id, m.content])));
    await expectAlive();
    expect(probe.internalErrors).toEqual([]);
  });

  it(`GroupChatRequest (${MessageType.GroupChatRequest}): ${ONLY_ACKNOWLEDGED_STORED}`, async () => {
    const [sender, recipient, outsider] = await accounts('s7', 'r7', 'x7');
    const probe = await session(sender);
    const theirs = await session(outsider);
    const ours = await group(probe, [recipient]);
    const foreign = await group(theirs, []);
    probe.internalErrors = [];
    const accepted = new Map<string, string>();
    const frame = frameOf(MessageType.GroupChatRequest, {
      groupName: fc.oneof(
        { weight: 8, arbitrary: fc.constant(ours) },
        { weight: 1, arbitrary: fc.constantFrom(foreign, ours.toUpperCase(), `${ours} `, 'no such group') },
        { weight: 2, arbitrary: oddValue },
      ),
      content: contentOf(MAX_CONTENT_BYTES),
      from: fc.oneof(
        { weight: 3, arbitrary: fc.constant(sender) },
        { weight: 2, arbitrary: fc.constantFrom(recipient, outsider) },
        { weight: 1, arbitrary: oddValue },
      ),
      clientMessageId: fc.oneof(
        { weight: 3, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: fc.constantFrom('', 'x'.repeat(65), '\u0000', '\ud800') },
        { weight: 1, arbitrary: oddValue },
      ),
    });
    await property(frame, 200, async (f) => {
      const { answer, expected } = await probe.send({ ...f });
      if (answer?.success !== true) return;
      const request = expected.request!;
      if (request.groupName !== ours) throw new Error(`acknowledged a send to ${preview(request.groupName)}`);
      if (request.from !== undefined && request.from !== null && request.from !== sender)
        throw new Error(`acknowledged a send with from ${preview(request.from)}`);
      const id = answer.messageId as string;
      if (!accepted.has(id)) accepted.set(id, request.content as string);
    });
    expect(accepted.size).toBeGreaterThan(5);
    const byId = (frames: Frame[]) => new Map(frames.map((f) => [f.messageId as string, f.content]));
    const reader = await session(recipient);
    expect(byId(await fullHistory(reader.client, { groupName: ours }))).toEqual(accepted);
    expect(await fullHistory(theirs.client, { groupName: foreign })).toEqual([]);
    const replay = await replayOf(recipient, accepted.size);
    expect(byId(replay)).toEqual(accepted);
    await expectAlive();
    expect(probe.internalErrors).toEqual([]);
  });

  it(`GroupCreateRequest (${MessageType.GroupCreateRequest}): only well-formed names are created, with the creator first`, async () => {
    const [creator, friend] = await accounts('c9', 'f9');
    const probe = await session(creator);
    const freshName = unusedName(1, 20, 8);
    const frame = frameOf(MessageType.GroupCreateRequest, {
      groupName: fc.oneof({ weight: 3, arbitrary: freshName }, { weight: 2, arbitrary: oddString }, { weight: 1, arbitrary: oddValue }),
      members: fc.oneof(
        fc.array(fc.oneof(fc.constantFrom(friend, creator, 'nobody-known', friend.normalize('NFD')), oddString), { maxLength: 5 }),
        oddValue,
      ),
    });
    await property(frame, 150, async (f) => {
      const { answer, expected } = await probe.send({ ...f });
      if (answer?.success !== true) return;
      const name = expected.request!.groupName;
      if (typeof name !== 'string' || /[\p{Cc}\p{Cf}<>"'&]/u.test(name) || !name.isWellFormed() || [...name].length > 64) {
        throw new Error(`created a group named ${preview(name)}`);
      }
      const members = answer.members as string[];
      // The group keeps the NFC form of the name.
      if (answer.groupName !== name.normalize('NFC') || members[0] !== creator) throw new Error(`created ${preview(answer)}`);
    });
    await expectAlive();
  });

  it(
    `GroupJoinRequest (${MessageType.GroupJoinRequest}) and GroupQuitRequest (${MessageType.GroupQuitRequest}): ` +
      'nobody joins or quits for someone else',
    async () => {
      const [self, other] = await accounts('j11', 'o11');
      const probe = await session(self);
      const otherProbe = await session(other);
      const theirs = await group(otherProbe, []);
      const ours = await group(probe, [other]);
      const frame = fc
        .tuple(
          fc.constantFrom(MessageType.GroupJoinRequest, MessageType.GroupQuitRequest),
          fc.record(
            {
              groupName: mostly(fc.constantFrom(theirs, ours, 'no such group', theirs.toUpperCase())),
              username: fc.oneof(fc.constantFrom(self, other, self.toUpperCase(), `${self} `, self.normalize('NFD')), oddValue),
            },
            { requiredKeys: [] },
          ),
        )
        .map(([messageType, fields]) => labelled({ ...fields, messageType }));
      await property(frame, 150, async (f) => {
        const { answer, expected } = await probe.send({ ...f });
        const username = expected.request?.username;
        const forSomeoneElse =
          username !== undefined && username !== null && (typeof username !== 'string' || username.normalize('NFC') !== self);
        if (forSomeoneElse && answer?.reason !== 'username must be the logged-in user')
          throw new Error(`a request for ${preview(username)} got ${preview(answer)}`);
      });
      const members = await otherProbe.client.request({ messageType: MessageType.GroupMembersRequest, groupName: ours });
      expect(members.members).toContain(other);
      await expectAlive();
    },
  );

  it(`GroupMembersRequest (${MessageType.GroupMembersRequest}): members are listed to members only`, async () => {
    const [self, other] = await accounts('m13', 'o13');
    const probe = await session(self);
    const theirs = await group(await session(other), []);
    const ours = await group(probe, [other]);
    await property(
      frameOf(MessageType.GroupMembersRequest, { groupName: mostly(fc.constantFrom(theirs, ours, 'no such group')) }),
      150,
      async (f) => {
        const { answer, expected } = await probe.send({ ...f });
        if (answer?.success !== true) return;
        if (expected.request!.groupName !== ours || !(answer.members as string[]).includes(self))
          throw new Error(`listed ${preview(answer)}`);
      },
    );
    await expectAlive();
  });

  it(`LoginRequest (${MessageType.LoginRequest}): a logged-in connection never becomes another user`, async () => {
    const [self, other] = await accounts('l17', 'o17');
    const probe = await session(self);
    const otherToken = tokenOf((await session(other)).client);
    const frame = frameOf(MessageType.LoginRequest, {
      username: mostly(fc.constantFrom(self, other, self.toUpperCase(), 'nobody-known')),
      password: mostly(fc.constantFrom(PASSWORD, 'wrong-pass', 'x'.repeat(73))),
      token: mostly(
        fc.constantFrom(
          tokenOf(probe.client),
          otherToken,
          forgeToken({ sub: other, exp: nowSeconds() + 60 }, { secret: 'not-the-secret-at-all' }),
          forgeToken({ sub: other, exp: nowSeconds() + 60 }, { header: { alg: 'none', typ: 'JWT' } }),
          `${otherToken}.`,
          'x'.repeat(5000),
        ),
      ),
    });
    await property(frame, 100, async (f) => {
      const { answer } = await probe.send({ ...f });
      if (answer?.success === true && answer.username !== self)
        throw new Error(`the connection of ${self} logged in as ${preview(answer.username)}`);
    });
    const ack = await probe.client.request({ messageType: MessageType.ChatRequest, to: other, content: 'who am I' });
    expect(ack).toMatchObject({ success: true, from: self });
    await expectAlive();
  });

  it(
    `LogoutRequest (${MessageType.LogoutRequest}): only a boolean (or no) everywhere logs out; ` +
      'a logged-out connection is refused until it logs in again',
    async () => {
      const name = await account('l27');
      const probe = await session(name);
      const frame = frameOf(MessageType.LogoutRequest, { everywhere: mostly(fc.constantFrom(true, false, null)) });
      await property(frame, 60, async (f) => {
        const { answer, expected } = await probe.send({ ...f });
        const everywhere = expected.request?.everywhere;
        const valid = everywhere === undefined || everywhere === null || typeof everywhere === 'boolean';
        if (answer?.success === true && !valid) throw new Error(`logged out with everywhere ${preview(everywhere)}`);
        if (answer?.success === false && valid && answer.reason !== 'Please log in')
          throw new Error(`refused ${preview(everywhere)}: ${preview(answer.reason)}`);
        if (probe.username === null) {
          const login = await probe.client.request({ messageType: MessageType.LoginRequest, username: name, password: PASSWORD });
          if (login.success !== true) throw new Error(`could not log in again: ${preview(login.reason)}`);
          probe.username = name;
        }
      });
      await expectAlive();
    },
  );

  it(
    `ChangePasswordRequest (${MessageType.ChangePasswordRequest}): the password changes only with the right old one ` +
      'and a valid new one; the session goes on',
    async () => {
      const name = await account('p29');
      const probe = await session(name);
      let current = PASSWORD;
      const frame = fc.constantFrom(PASSWORD, 'another-pass-1').chain((next) =>
        frameOf(MessageType.ChangePasswordRequest, {
          oldPassword: passwordOf(PASSWORD),
          newPassword: mostly(fc.constantFrom(next, 'short', 'x'.repeat(73))),
        }),
      );
      await property(frame, 60, async (f) => {
        // The right old password is the one in force now: the generator knows only the first.
        if (f.oldPassword === PASSWORD) f.oldPassword = current;
        const { answer, expected } = await probe.send({ ...f });
        const { oldPassword, newPassword } = expected.request ?? {};
        const valid =
          oldPassword === current &&
          typeof newPassword === 'string' &&
          newPassword !== current &&
          Buffer.byteLength(newPassword) >= 6 &&
          Buffer.byteLength(newPassword) <= 72;
        if (answer?.success === true) {
          if (!valid) throw new Error(`changed with ${preview({ oldPassword, newPassword })}`);
          if (typeof answer.token !== 'string') throw new Error('a change without a token');
          current = newPassword as string;
        } else if (valid && !/^(Account is locked|Too many)/.test(String(answer?.reason))) {
          throw new Error(`refused a valid change: ${preview(answer?.reason)}`);
        }
        if (answer?.success === false && answer.token !== null) throw new Error(`a refusal with token ${preview(answer.token)}`);
      });
      const ack = await probe.client.request({ messageType: MessageType.ChatRequest, to: await account('r29'), content: 'still me' });
      expect(ack).toMatchObject({ success: true, from: name });
      const fresh = await fixture.connect(server);
      expect(await fresh.login(name, current)).toMatchObject({ success: true });
      await expectAlive();
    },
  );

  it(
    `RegisterRequest (${MessageType.RegisterRequest}): only names by the rules are registered, ` + 'and a refused one is not stored',
    async () => {
      const probe = await connect();
      const freshName = unusedName(0, 12, 6);
      const frame = frameOf(MessageType.RegisterRequest, {
        username: fc.oneof({ weight: 2, arbitrary: freshName }, { weight: 3, arbitrary: oddString }, { weight: 1, arbitrary: oddValue }),
        password: fc.oneof(
          { weight: 3, arbitrary: fc.constantFrom(PASSWORD, '123456', 'x'.repeat(72)) },
          { weight: 1, arbitrary: fc.constantFrom('12345', 'x'.repeat(73), '\u00e9'.repeat(37)) },
          { weight: 1, arbitrary: oddValue },
        ),
      });
      const stored = async (name: string) =>
        (await server.http('GET', `/user/${encodeURIComponent(name)}`, { auth: 'admin' })).body?.code === 0;
      await property(frame, 100, async (f) => {
        const username = f.username;
        const name = typeof username === 'string' ? username.normalize('NFC') : null;
        // Names a URL can carry and a user can have: whether it exists is asked before and after.
        const checkable = name !== null && name.isWellFormed() && [...name].length >= 3 && [...name].length <= 30;
        const existed = checkable ? await stored(name) : false;
        const { answer } = await probe.send({ ...f });
        if (name === null) return;
        if (answer?.success === true && (!USERNAME_RULE.test(name) || ['host', 'admin', 'system'].includes(name.toLowerCase()))) {
          throw new Error(`registered ${preview(name)}`);
        }
        if (answer?.success !== true && checkable && !existed && (await stored(name)))
          throw new Error(`a refused register of ${preview(name)} stored it`);
      });
      await expectAlive();
    },
  );

  it(
    `Ack (${MessageType.Ack}): refused with type ${MessageType.Error} or silent; ` +
      "acking other users' message ids acknowledges nothing of theirs",
    async () => {
      const [fuzzer, sender, victim] = await accounts('a22', 's22', 'v22');
      const senderProbe = await session(sender);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++)
        ids.push(
          (await senderProbe.client.request({ messageType: MessageType.ChatRequest, to: victim, content: `for the victim ${i}` }))
            .messageId as string,
        );
      const own = (await senderProbe.client.request({ messageType: MessageType.ChatRequest, to: fuzzer, content: 'for the fuzzer' }))
        .messageId as string;
      const probe = await session(fuzzer);
      const id = fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom<unknown>(
            ...ids,
            own,
            Number(ids[0]),
            '0',
            '-1',
            '01',
            ' 1',
            '1.0',
            '9223372036854775807',
            '9223372036854775808',
            '',
          ),
        },
        { weight: 1, arbitrary: oddNumber },
        { weight: 1, arbitrary: oddString },
      );
      const frame = frameOf(MessageType.Ack, {
        messageIds: fc.oneof(
          { weight: 4, arbitrary: fc.array(id, { maxLength: 6 }) },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              Array.from({ length: 1001 }, (_, i) => String(i + 1)),
              Array.from({ length: 1000 }, () => ids[0]),
            ),
          },
          { weight: 1, arbitrary: oddValue },
        ),
      });
      await property(frame, 150, async (f) => {
        await probe.send({ ...f });
      });
      const replay = await replayOf(victim, ids.length);
      expect(replay.map((f) => f.messageId).sort()).toEqual([...ids].sort());
      await expectAlive();
    },
  );

  it(`PresenceRequest (${MessageType.PresenceRequest}): 1 to 200 strings are answered once each, anything else refused`, async () => {
    const [self, other] = await accounts('p38', 'o38');
    const probe = await session(self);
    const name = fc.oneof(fc.constantFrom(self, other, 'nobody-here'), oddString);
    const frame = frameOf(MessageType.PresenceRequest, {
      usernames: mostly(fc.array(name, { minLength: 0, maxLength: 210 })),
      subscribe: mostly(fc.constantFrom(true, false, null)),
    });
    await property(frame, 150, async (f) => {
      const { answer, expected } = await probe.send({ ...f });
      const usernames = expected.request?.usernames;
      const subscribe = expected.request?.subscribe;
      const valid =
        Array.isArray(usernames) &&
        usernames.length >= 1 &&
        usernames.length <= 200 &&
        usernames.every((u) => typeof u === 'string') &&
        (subscribe === undefined || subscribe === null || typeof subscribe === 'boolean');
      if (answer?.success === true) {
        if (!valid) throw new Error(`answered ${preview(expected.request)}`);
        const entries = answer.presence as { username: string; online: boolean }[];
        const distinct = new Set((usernames as string[]).map((u) => u.normalize('NFC')));
        if (entries.length !== distinct.size || entries.some((e) => !distinct.has(e.username) || e.online !== (e.username === self)))
          throw new Error(`presence ${preview(entries)}`);
      } else if (valid && answer?.code !== RefusalCode.LimitExceeded) throw new Error(`refused ${preview(answer)}`);
    });
    await expectAlive();
  });

  it(`TypingRequest (${MessageType.TypingRequest}): answered only when refused, and only a peer or a member gets the notice`, async () => {
    const [self, peer, outsider] = await accounts('t31', 'p31', 'x31');
    const probe = await session(self);
    const peerProbe = await session(peer);
    const outsiderProbe = await session(outsider);
    const ours = await group(probe, [peer]);
    const frame = frameOf(MessageType.TypingRequest, {
      to: mostly(fc.constantFrom(peer, self, 'nobody-here')),
      groupName: mostly(fc.constantFrom(ours, 'no such group')),
    });
    await property(frame, 150, async (f) => {
      await probe.send({ ...f });
    });
    const typing = (f: Frame) => f.messageType === MessageType.Typing;
    if (outsiderProbe.client.received.some(typing) || probe.client.received.some(typing))
      throw new Error('a typing notice reached someone outside the conversation');
    for (const notice of peerProbe.client.received.filter(typing)) {
      if (notice.from !== self || !(notice.to === peer || notice.groupName === ours)) throw new Error(`notice ${preview(notice)}`);
    }
    await expectAlive();
  });

  it(`HistoryRequest (${MessageType.HistoryRequest}): only the caller's own conversations and groups are ever returned`, async () => {
    const [self, friend, stranger] = await accounts('h23', 'f23', 'x23');
    const probe = await session(self);
    const friendProbe = await session(friend);
    const strangerProbe = await session(stranger);
    const visible = new Set<string>();
    const hidden = new Set<string>();
    for (let i = 0; i < 3; i++) {
      visible.add(
        (await probe.client.request({ messageType: MessageType.ChatRequest, to: friend, content: `mine ${i}` })).messageId as string,
      );
      hidden.add(
        (await friendProbe.client.request({ messageType: MessageType.ChatRequest, to: stranger, content: `theirs ${i}` }))
          .messageId as string,
      );
    }
    const ours = await group(probe, [friend]);
    const theirs = await group(strangerProbe, [friend]);
    const ourCopy = await probe.client.request({ messageType: MessageType.GroupChatRequest, groupName: ours, content: 'ours' });
    const theirCopy = await strangerProbe.client.request({
      messageType: MessageType.GroupChatRequest,
      groupName: theirs,
      content: 'theirs',
    });
    visible.add(ourCopy.messageId as string);
    hidden.add(theirCopy.messageId as string);
    const frame = frameOf(MessageType.HistoryRequest, {
      with: mostly(fc.constantFrom(friend, stranger, self, friend.toUpperCase(), 'nobody-known')),
      groupName: fc.oneof(fc.constantFrom(ours, theirs), oddValue),
      beforeId: mostly(fc.constantFrom<unknown>('1', '9223372036854775807', '9223372036854775808', '0', 1, rawNumber('1e999'))),
      limit: mostly(fc.constantFrom<unknown>(1, 50, 100, 0, 101, -1, 1.5, rawNumber('-0'), '10')),
    });
    await property(frame, 150, async (f) => {
      const { answer, expected } = await probe.send({ ...f });
      if (answer?.success !== true) return;
      const request = expected.request!;
      for (const item of answer.messages as Frame[]) {
        if (hidden.has(item.messageId as string)) throw new Error(`history leaked message ${String(item.messageId)} to ${self}`);
        if (item.messageType === MessageType.ChatResponse && item.from !== self && item.to !== self)
          throw new Error(`history returned ${preview(item)}`);
        if (item.messageType === MessageType.GroupChatResponse && (request.groupName !== ours || item.groupName !== ours))
          throw new Error(`history returned ${preview(item)}`);
      }
    });
    expect(visible.size).toBe(4);
    await expectAlive();
  });

  it(
    `ReadRequest (${MessageType.ReadRequest}) and ConversationsRequest (${MessageType.ConversationsRequest}): ` +
      'a read position never moves back, and only the caller’s own conversations are listed',
    async () => {
      const [self, friend, stranger] = await accounts('r33', 'f33', 'x33');
      const probe = await session(self);
      const friendProbe = await session(friend);
      const strangerProbe = await session(stranger);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(
          (await friendProbe.client.request({ messageType: MessageType.ChatRequest, to: self, content: `to you ${i}` }))
            .messageId as string,
        );
        ids.push(
          (await friendProbe.client.request({ messageType: MessageType.ChatRequest, to: stranger, content: `not ${i}` }))
            .messageId as string,
        );
      }
      const ours = await group(probe, [friend]);
      const theirs = await group(strangerProbe, [friend]);
      ids.push(
        (await probe.client.request({ messageType: MessageType.GroupChatRequest, groupName: ours, content: 'ours' })).messageId as string,
      );
      ids.push(
        (await strangerProbe.client.request({ messageType: MessageType.GroupChatRequest, groupName: theirs, content: 'no' }))
          .messageId as string,
      );
      const positions = new Map<string, bigint>();
      const read = frameOf(MessageType.ReadRequest, {
        with: mostly(fc.constantFrom(friend, stranger, self, friend.toUpperCase(), 'nobody-known')),
        groupName: fc.oneof(fc.constantFrom(ours, theirs), oddValue),
        messageId: mostly(fc.constantFrom<unknown>(...ids, '0', '9223372036854775808', 1, rawNumber('1e999'))),
      });
      await property(read, 120, async (f) => {
        const { answer } = await probe.send({ ...f });
        if (answer?.success !== true) return;
        const conversation = String(answer.groupName ?? answer.with);
        const position = BigInt(answer.messageId as string);
        if (position < (positions.get(conversation) ?? 0n))
          throw new Error(`the read position of ${conversation} moved back to ${position}`);
        positions.set(conversation, position);
      });
      const list = frameOf(MessageType.ConversationsRequest, {
        limit: mostly(fc.constantFrom<unknown>(1, 2, 20, 100, 0, 101, -1, 1.5, '10')),
        before: fc.oneof(fc.constantFrom('YzE', 'Yzk5OTk5OTk5OTk', 'garbage'), oddValue),
      });
      await property(list, 60, async (f) => {
        const { answer } = await probe.send({ ...f });
        if (answer?.success !== true) return;
        for (const entry of answer.conversations as { with?: string; groupName?: string }[]) {
          if (entry.with !== undefined ? entry.with !== friend : entry.groupName !== ours)
            throw new Error(`listed ${JSON.stringify(entry)}`);
        }
      });
      await expectAlive();
    },
  );
  it(`EditRequest (${MessageType.EditRequest}), RecallRequest (${MessageType.RecallRequest}): only one's own messages change`, async () => {
    const [self, friend, stranger] = await accounts('e41', 'f41', 'x41');
    const probe = await session(self);
    const friendProbe = await session(friend);
    const strangerProbe = await session(stranger);
    const own = (await probe.client.request({ messageType: MessageType.ChatRequest, to: friend, content: 'mine' })).messageId as string;
    const received = (await friendProbe.client.request({ messageType: MessageType.ChatRequest, to: self, content: 'to me' }))
      .messageId as string;
    const hidden = (await friendProbe.client.request({ messageType: MessageType.ChatRequest, to: stranger, content: 'theirs' }))
      .messageId as string;
    const ids = fc.constantFrom<unknown>(own, received, hidden, Number(own), '0', '9223372036854775808', '99999999999', rawNumber('1e999'));
    const frame = fc.oneof(
      frameOf(MessageType.EditRequest, { messageId: mostly(ids), content: fc.oneof(contentOf(MAX_CONTENT_BYTES), oddValue) }),
      frameOf(MessageType.RecallRequest, { messageId: mostly(ids, 1) }),
    );
    await property(frame, 150, async (f) => {
      const { answer } = await probe.send({ ...f });
      if (answer?.success !== true) return;
      if (answer.messageId !== own) throw new Error(`${self} changed message ${preview(answer.messageId)}`);
      if (typeof answer.editedAt !== 'string' || Number.isNaN(Date.parse(answer.editedAt))) throw new Error(`editedAt ${preview(answer)}`);
    });
    const theirs = await fullHistory(strangerProbe.client, { with: friend });
    expect(theirs.map((m) => [m.messageId, m.content, 'editedAt' in m])).toEqual([[hidden, 'theirs', false]]);
    const mine = await fullHistory(friendProbe.client, { with: self });
    expect(mine.find((m) => m.messageId === received)).toMatchObject({ content: 'to me' });
    expect(mine.find((m) => m.messageId === received)).not.toHaveProperty('editedAt');
    await expectAlive();
  });

  it(`closes a text frame that is not UTF-8 with ${CloseCode.InvalidPayload}, and the server stays up`, async () => {
    const probe = await connect();
    probe.client.sendRaw(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    expect((await probe.client.closed).code).toBe(CloseCode.InvalidPayload);
    await expectAlive();
  });

  it('uses the odd strings of the arbitraries in frames under the size limit', () => {
    // Guards the generators: a string list that grew past the frame limit would only be skipped.
    for (const text of ODD_STRINGS)
      expect(Buffer.byteLength(toWire({ messageType: MessageType.ChatRequest, to: text, content: text }))).toBeLessThan(MAX_FRAME_BYTES);
  });
});
