import { BeforeApplicationShutdown, Inject, Logger, OnModuleInit } from '@nestjs/common';
import { OnGatewayConnection, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import type { IncomingMessage } from 'node:http';
import WebSocket, { RawData, WebSocketServer as WsServer } from 'ws';
import { ClusterService } from '../cluster/cluster.service';
import { LocalSessions } from '../cluster/local-sessions';
import { RebalanceService } from '../cluster/rebalance.service';
import { AppConfig } from '../config/app-config';
import { MetricsService, startedAtZero } from '../metrics/metrics.service';
import { TrustedProxies, clientAddress } from '../common/client-address';
import { ChatConnection, ConnectionLimits } from './chat-connection';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FRAME_ROUTES, FrameRoute, FrameRoutes, responseTypeOf } from '../handlers/frame-route';
import { CloseCode, MessageType, REFUSAL_FIELDS, RefusalCode, ReportedCloseCode } from '../protocol';
import { SessionFrames } from './session-frames';

/** Refusals the gateway gives itself: plain objects, as a flood of them should not cost a stack trace each. */
const LOGIN_REQUIRED = { code: RefusalCode.NotLoggedIn, reason: 'Please log in' } as const;
const TOO_MANY_REQUESTS = { code: RefusalCode.RateLimited, reason: 'Too many requests' } as const;
const INTERNAL_ERROR = { code: RefusalCode.Internal, reason: 'Internal error, please try again later' } as const;

type Refusal = Pick<FrameRefusal, 'code' | 'reason'> & { fields?: ResponseFields };
/** The close codes counted by their number; any other (a client may send 3000-4999) counts as `other`. */
const COUNTED_CLOSE_CODES = [...Object.values(CloseCode), ...Object.values(ReportedCloseCode)];

type Counted = { inc(): void };

/** The connection of a socket, kept on the socket so that the shared listeners find it. */
const CONNECTION = Symbol('connection');
type ConnectedSocket = WebSocket & { [CONNECTION]: ChatConnection };
const connectionOf = (socket: WebSocket): ChatConnection => (socket as ConnectedSocket)[CONNECTION];

/** A client's value for an error reason; a structure is never stringified (thousands of levels overflow the stack). */
function describeValue(value: unknown): string {
  if (typeof value === 'object' && value !== null) return Array.isArray(value) ? 'an array' : 'an object';
  return String(JSON.stringify(value)).slice(0, 32);
}

/**
 * The WebSocket endpoint: connection lifecycle, frame parsing and checks, rate limits,
 * heartbeats and backpressure; each request goes to the handler its type names.
 */
@WebSocketGateway({ path: '/ws' })
export class ChatGateway implements OnGatewayConnection, OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Gateway');
  private readonly routes = new Map<number, FrameRoute<ChatConnection>>();
  private readonly connections = new Set<ChatConnection>();
  /** Counters by outcome, looked up once rather than per frame. */
  private readonly frames: Record<'binary' | 'rateLimited' | 'badJson' | 'badFrame' | 'unknownType' | 'ok', Counted>;
  /** Refusals by request type (filled with the routes); a frame with no known type counts as `unknown`. */
  private readonly refusals = new Map<number, Counted>();
  private readonly unknownRefused: Counted;
  private readonly closes = new Map<number, Counted>();
  private readonly otherCloses: Counted;
  private pingTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private accepting = true;
  /** Open connections by client address, for MAX_CONNECTIONS_PER_ADDRESS. */
  private readonly perAddress = new Map<string, number>();
  private readonly trustedProxies: TrustedProxies;
  /** One limits object for every connection. */
  private readonly connectionLimits: ConnectionLimits;
  private readonly socketListeners = this.makeSocketListeners();

  @WebSocketServer()
  private readonly server: WsServer;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    private readonly sessionFrames: SessionFrames,
    @Inject(FRAME_ROUTES) private readonly features: FrameRoutes[],
    private readonly rebalance: RebalanceService,
    private readonly local: LocalSessions,
    private readonly cluster: ClusterService,
  ) {
    this.trustedProxies = TrustedProxies.parse(this.config.http.trustProxy).proxies;
    this.connectionLimits = {
      maxBufferedBytes: this.config.ws.maxBufferedBytes,
      ratePerSec: this.config.limits.requestsPerSec,
      burst: this.config.limits.requestBurst,
    };
    const counter = this.metrics.wsFrames;
    this.frames = {
      binary: counter.labels('binary'),
      rateLimited: counter.labels('rate_limited'),
      badJson: counter.labels('bad_json'),
      badFrame: counter.labels('bad_frame'),
      unknownType: counter.labels('unknown_type'),
      ok: counter.labels('ok'),
    };
    this.unknownRefused = startedAtZero(this.metrics.refusals, 'unknown');
    for (const code of COUNTED_CLOSE_CODES) this.closes.set(code, startedAtZero(this.metrics.wsCloses, String(code)));
    this.otherCloses = startedAtZero(this.metrics.wsCloses, 'other');
  }

  onModuleInit(): void {
    for (const source of [this.sessionFrames, ...this.features]) {
      for (const route of source.routes()) {
        if (this.routes.has(route.requestType)) throw new Error(`Two handlers for message type ${route.requestType}`);
        // A route the protocol's RESPONSE_TYPE does not list fails here, at start, not at its first frame.
        responseTypeOf(route.requestType);
        this.routes.set(route.requestType, route);
        this.refusals.set(route.requestType, startedAtZero(this.metrics.refusals, String(route.requestType)));
      }
    }
    this.cluster.onResync(() => {
      for (const connection of this.connections) void this.sessionFrames.resync(connection);
    });
    this.pingTimer = setInterval(() => this.pingAll(), this.config.ws.pingIntervalMs);
    this.idleTimer = setInterval(() => this.closeIdle(), Math.min(1000, Math.floor(this.config.ws.idleTimeoutMs / 4)));
    this.pingTimer.unref();
    this.idleTimer.unref();
  }

  /**
   * Drains on shutdown: no new connections, every client asked to move to another instance,
   * then, once they left or DRAIN_TIMEOUT_MS passed, the rest closed with CloseCode.GoingAway.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.accepting = false;
    clearInterval(this.pingTimer);
    const asked = await this.rebalance.drain();
    const deadline = Date.now() + this.config.rebalance.drainTimeoutMs;
    while (asked > 0 && this.local.sessionCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    clearInterval(this.idleTimer);
    for (const connection of this.connections) connection.kick(CloseCode.GoingAway, 'Server shutting down');
    await this.sessionFrames.unbindAll([...this.connections]);
  }

  /**
   * Checked at the upgrade, before a socket exists: past MAX_CONNECTIONS the answer is 503, past
   * MAX_CONNECTIONS_PER_ADDRESS 429. The upgrade completes in the same tick, so the counts are current.
   */
  admit(request: IncomingMessage): { ok: true } | { ok: false; status: number; message: string } {
    if (this.connections.size >= this.config.limits.maxConnections) return { ok: false, status: 503, message: 'Too many connections' };
    const address = clientAddress(request.socket.remoteAddress, request.headers, this.trustedProxies);
    if ((this.perAddress.get(address) ?? 0) >= this.config.limits.maxConnectionsPerAddress) {
      return { ok: false, status: 429, message: 'Too many connections from this address' };
    }
    return { ok: true };
  }

  private release(address: string): void {
    const open = (this.perAddress.get(address) ?? 1) - 1;
    if (open > 0) this.perAddress.set(address, open);
    else this.perAddress.delete(address);
  }

  handleConnection(socket: WebSocket, request: IncomingMessage): void {
    if (!this.accepting) {
      socket.once('close', this.countClose);
      socket.close(CloseCode.GoingAway, 'Server is shutting down');
      return;
    }
    const address = clientAddress(request.socket.remoteAddress, request.headers, this.trustedProxies);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    const connection = new ChatConnection(socket, address, this.connectionLimits);
    (socket as ConnectedSocket)[CONNECTION] = connection;
    this.connections.add(connection);
    this.metrics.wsConnections.inc();
    connection.startLoginTimer(this.config.ws.loginTimeoutMs);
    // Listeners shared by every socket (ws calls them with the socket as `this`): none is made per connection.
    socket.on('message', this.socketListeners.message);
    socket.on('pong', this.socketListeners.pong);
    socket.on('ping', this.socketListeners.ping);
    socket.on('close', this.socketListeners.close);

    const token = new URL(request.url ?? '/', 'ws://localhost').searchParams.get('token');
    if (token !== null) {
      connection.loginOnConnect(this.sessionFrames.loginOnConnect(connection, token));
    }
  }

  /** The listeners of every connected socket, made once. */
  private makeSocketListeners() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the listeners' own `this` is the socket
    const gateway = this;
    return {
      message(this: WebSocket, data: RawData, isBinary: boolean): void {
        const connection = connectionOf(this);
        // A bug in frame handling must cost this connection, not the process with every other connection.
        try {
          gateway.onFrame(connection, data, isBinary);
        } catch (error) {
          gateway.logger.error(`A frame of connection ${connection.id} failed: ${error instanceof Error ? error.stack : String(error)}`);
          connection.close(CloseCode.Internal, 'Internal error');
        }
      },
      pong(this: WebSocket): void {
        connectionOf(this).touch();
      },
      // ws answers each ping itself; a client that pings without reading fills our output with pongs.
      ping(this: WebSocket): void {
        connectionOf(this).checkOutput();
      },
      close(this: WebSocket, code: number): void {
        gateway.countClose(code);
        const connection = connectionOf(this);
        gateway.connections.delete(connection);
        gateway.release(connection.remoteAddress);
        connection.dispose();
        gateway.metrics.wsConnections.dec();
        void gateway.sessionFrames.disconnected(connection);
      },
    };
  }

  private readonly countClose = (code: number): void => (this.closes.get(code) ?? this.otherCloses).inc();

  private onFrame(connection: ChatConnection, data: RawData, isBinary: boolean): void {
    if (connection.connectLogin) {
      // The LoginResponse of `?token=` goes out before the answer to anything sent meanwhile.
      void connection.connectLogin.then(() => this.onFrame(connection, data, isBinary));
      return;
    }
    connection.touch();
    if (isBinary) {
      this.frames.binary.inc();
      connection.close(CloseCode.Unsupported, 'Binary frames are not supported');
      return;
    }
    const allowed = connection.takeToken();
    if (!allowed) {
      this.frames.rateLimited.inc();
      if (connection.isFlooding(this.config.limits.requestBurst)) {
        connection.close(CloseCode.Policy, 'Too many requests');
        return;
      }
    }
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      this.frames.badJson.inc();
      this.refuseUnrouted(connection, 0, RefusalCode.InvalidArgument, 'Invalid JSON');
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.frames.badFrame.inc();
      this.refuseUnrouted(connection, 0, RefusalCode.InvalidArgument, 'A frame must be a JSON object');
      return;
    }
    const request = frame as Record<string, unknown>;
    const sequenceId = request.sequenceId ?? 0;
    if (!Number.isSafeInteger(sequenceId)) {
      this.refuseUnrouted(connection, 0, RefusalCode.InvalidArgument, 'sequenceId must be an integer');
      return;
    }
    if (request.messageType === undefined) {
      this.refuseUnrouted(connection, sequenceId as number, RefusalCode.InvalidArgument, 'messageType is required');
      return;
    }
    const route = Number.isInteger(request.messageType) ? this.routes.get(request.messageType as number) : undefined;
    if (!route) {
      this.frames.unknownType.inc();
      const reason = `Unknown messageType: ${describeValue(request.messageType)}`;
      this.refuseUnrouted(connection, sequenceId as number, RefusalCode.InvalidArgument, reason);
      return;
    }
    // The parsed object is ours: it becomes the checked frame without a copy.
    request.sequenceId = sequenceId;
    const checked = request as ClientFrame;
    if (!allowed) {
      this.refuse(connection, route, checked, TOO_MANY_REQUESTS);
      return;
    }
    void this.dispatch(connection, route, checked);
  }

  private async dispatch(connection: ChatConnection, route: FrameRoute<ChatConnection>, frame: ClientFrame): Promise<void> {
    if (!route.public && connection.username === null) {
      this.refuse(connection, route, frame, LOGIN_REQUIRED);
      return;
    }
    this.frames.ok.inc();
    const responseType = responseTypeOf(route.requestType);
    try {
      const response = await route.handle(connection, frame);
      if (response && responseType !== null) {
        // A handler may answer a refusal as fields (Register, Login): counted like a thrown one.
        if (response.success === false) this.refusals.get(route.requestType)!.inc();
        connection.send({ messageType: responseType, sequenceId: frame.sequenceId, ...response });
      }
    } catch (error) {
      if (error instanceof FrameRefusal) {
        this.refuse(connection, route, frame, error);
        return;
      }
      this.logger.error(`Type ${frame.messageType} failed: ${error instanceof Error ? error.stack : String(error)}`);
      this.refuse(connection, route, frame, INTERNAL_ERROR);
    }
  }

  private refuse(connection: ChatConnection, route: FrameRoute<ChatConnection>, frame: ClientFrame, refusal: Refusal): void {
    const { code, reason } = refusal;
    this.refusals.get(route.requestType)!.inc();
    const responseType = responseTypeOf(route.requestType);
    if (responseType === null) {
      this.sendError(connection, frame.sequenceId, code, reason);
      return;
    }
    const fields = { ...REFUSAL_FIELDS[responseType], ...refusal.fields };
    connection.send({ messageType: responseType, sequenceId: frame.sequenceId, ...fields, success: false, reason, code });
  }

  /** A frame refused before its type was known: an Error frame, counted under `unknown`. */
  private refuseUnrouted(connection: ChatConnection, sequenceId: number, code: RefusalCode, reason: string): void {
    this.unknownRefused.inc();
    this.sendError(connection, sequenceId, code, reason);
  }

  private sendError(connection: ChatConnection, sequenceId: number, code: RefusalCode, reason: string): void {
    connection.send({ messageType: MessageType.Error, sequenceId, success: false, reason, code });
  }

  private pingAll(): void {
    for (const connection of this.connections) if (connection.isOpen) connection.socket.ping();
  }

  /** A peer silent past the idle timeout is gone: its close frame would never be answered. */
  private closeIdle(): void {
    const deadline = Date.now() - this.config.ws.idleTimeoutMs;
    for (const connection of this.connections) {
      if (connection.lastActivity < deadline) {
        connection.close(CloseCode.GoingAway, 'Idle timeout');
        connection.socket.terminate();
      }
    }
  }
}
