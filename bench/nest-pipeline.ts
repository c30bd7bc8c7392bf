/**
 * What Nest's @SubscribeMessage pipeline costs per frame, against the dispatch our gateway does itself.
 * Run: `npx ts-node --transpile-only -P tsconfig.spec.json bench/nest-pipeline.ts [--clients 200]
 * [--inflight 4] [--window 10] [--windows 3] [--warmup 2] [--out FILE]` (no database, no Redis).
 *
 * Three minimal Nest apps on Fastify, each in a child process on loopback, with the `ws` options of
 * src/gateway/chat-ws.adapter.ts, answer the same ChatRequest (5) with the same ChatResponse (6):
 *   direct    the raw `ws` 'message' listener of src/gateway/chat.gateway.ts: parse, check, route
 *             table, login check, handler, send; the adapter binds no message handlers (as ours).
 *   nest-bare @SubscribeMessage through Nest's WsAdapter (a messageParser maps messageType to the
 *             event); the handler does the same checks by hand as `direct` does.
 *   nest-full @SubscribeMessage with what a production Nest gateway puts around it: a guard (logged
 *             in), the project's global ValidationPipe (src/common/validation.pipe.ts) on a
 *             class-validator DTO, an interceptor (the frame counter) and an exception filter.
 *   nest-pipe nest-bare with the ValidationPipe and the DTO in place of the hand-made checks, nothing
 *             else: what of nest-full's cost is the validation.
 * The handler itself stores nothing: the figures are the dispatch's cost alone, to set beside the
 * server CPU µs per delivery of docs/benchmarks.md. Clients run closed loop (`inflight` requests in
 * flight each), one app at a time, the apps' windows interleaved round by round; each figure is the
 * median of the rounds, with the server's CPU per answered request read from /proc.
 */
import 'reflect-metadata';
import {
  ArgumentsHost,
  CallHandler,
  CanActivate,
  Catch,
  ExecutionContext,
  Injectable,
  Module,
  NestInterceptor,
  Type,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { WsAdapter } from '@nestjs/platform-ws';
import { BaseWsExceptionFilter, ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { IsInt, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { ChildProcess, fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Counter, Registry } from 'prom-client';
import { Observable } from 'rxjs';
import WebSocket, { RawData } from 'ws';
import { createValidationPipe } from '../src/common/validation.pipe';
import { ClientFrame, FrameRefusal, ResponseFields } from '../src/handlers/frame';
import { MessageType, REFUSAL_FIELDS, RefusalCode } from '../src/protocol';

const VARIANTS = ['direct', 'nest-bare', 'nest-pipe', 'nest-full'] as const;
type Variant = (typeof VARIANTS)[number];

/** As the server's defaults: WS_MAX_FRAME_BYTES and the content limit of a message. */
const MAX_FRAME_BYTES = 64 * 1024;
const MAX_CONTENT_LENGTH = 4096;
const MAX_USERNAME_LENGTH = 64;
const CONTENT_BYTES = 100;
const CLK_TCK = 100; // Linux USER_HZ, as bench/lib/common.js
const START_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 5_000;

/** A connection of any of the three apps: who it is (set from `?user=` at connect, in place of a login). */
type Client = WebSocket & { username?: string | null };

// --- the handler the three apps share ----------------------------------------------------------

let nextMessageId = 0;

/** The acknowledgement of a ChatRequest, as src/messages/message-frames.ts answers one once stored. */
function acknowledgement(username: string, to: string): ResponseFields {
  return { success: true, reason: null, from: username, to, content: null, messageId: String(++nextMessageId), delivered: true };
}

/** The checks our handlers make by hand (src/handlers/frame.ts's stringField and the send's limits). */
function checkedChat(username: string, frame: ClientFrame): { to: string } {
  const { to, content } = frame;
  const refusalFields = { ...REFUSAL_FIELDS[MessageType.ChatResponse], from: username, to: typeof to === 'string' ? to : null };
  if (typeof to !== 'string' || to === '' || to.length > MAX_USERNAME_LENGTH)
    throw new FrameRefusal(RefusalCode.InvalidArgument, 'to must be a username', refusalFields);
  if (typeof content !== 'string' || content.length > MAX_CONTENT_LENGTH)
    throw new FrameRefusal(RefusalCode.InvalidArgument, `content must be a string of at most ${MAX_CONTENT_LENGTH}`, refusalFields);
  if (frame.from !== undefined && frame.from !== username) throw new FrameRefusal(RefusalCode.Forbidden, 'from is not you', refusalFields);
  return { to };
}

/** The sent frame: `time` is set on everything the server sends (src/gateway/chat-connection.ts). */
function frameOf(fields: ResponseFields): string {
  fields.time ??= new Date().toISOString();
  return JSON.stringify(fields);
}

const registry = new Registry();
/** The gateway counts every frame by outcome (ws_frames_total); all three apps count the same. */
const framesOk = new Counter({ name: 'ws_frames_total', help: 'frames', labelNames: ['outcome'], registers: [registry] }).labels('ok');

/** The user a connection names at connect (`?user=`): the three apps skip a login the same way. */
function userOf(request: IncomingMessage): string | null {
  return new URL(request.url ?? '/', 'ws://localhost').searchParams.get('user');
}

// --- direct: our gateway's dispatch -----------------------------------------------------------

type Route = { requestType: number; public?: boolean; handle(client: Client, frame: ClientFrame): Promise<ResponseFields> };

/** The `ws` options of ChatWsAdapter; `bindMessageHandlers` does nothing, as ours, when the gateway dispatches itself. */
class BenchWsAdapter extends WsAdapter {
  constructor(
    app: NestFastifyApplication,
    private readonly dispatchesItself: boolean,
  ) {
    super(app, {
      // The protocol names a frame by its messageType: Nest's event is that number.
      messageParser: (data: unknown) => {
        const frame = JSON.parse(String(data)) as ClientFrame;
        return { event: String(frame.messageType), data: frame };
      },
    });
  }

  override create(port: number, options: Record<string, unknown> & { path?: string } = {}) {
    return super.create(port, { ...options, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, clientTracking: true });
  }

  override bindMessageHandlers(...args: Parameters<WsAdapter['bindMessageHandlers']>): void {
    if (!this.dispatchesItself) super.bindMessageHandlers(...args);
  }
}

@WebSocketGateway({ path: '/ws' })
class DirectGateway {
  private readonly routes = new Map<number, Route>([
    [MessageType.ChatRequest, { requestType: MessageType.ChatRequest, handle: async (c, f) => this.chat(c, f) }],
  ]);

  handleConnection(socket: Client, request: IncomingMessage): void {
    socket.username = userOf(request);
    socket.on('message', (data: RawData, isBinary: boolean) => {
      try {
        this.onFrame(socket, data, isBinary);
      } catch {
        socket.close(1011, 'Internal error');
      }
    });
  }

  /** src/gateway/chat.gateway.ts's onFrame, less the rate limit and the ?token= login. */
  private onFrame(socket: Client, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      socket.close(1003, 'Binary frames are not supported');
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(data.toString());
    } catch {
      this.error(socket, 0, 'Invalid JSON');
      return;
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) {
      this.error(socket, 0, 'A frame must be a JSON object');
      return;
    }
    const request = frame as Record<string, unknown>;
    const sequenceId = request.sequenceId ?? 0;
    if (!Number.isSafeInteger(sequenceId)) {
      this.error(socket, 0, 'sequenceId must be an integer');
      return;
    }
    const route = Number.isInteger(request.messageType) ? this.routes.get(request.messageType as number) : undefined;
    if (!route) {
      this.error(socket, sequenceId as number, 'Unknown messageType');
      return;
    }
    request.sequenceId = sequenceId;
    void this.dispatch(socket, route, request as ClientFrame);
  }

  private async dispatch(socket: Client, route: Route, frame: ClientFrame): Promise<void> {
    const responseType = MessageType.ChatResponse;
    if (!route.public && !socket.username) {
      socket.send(frameOf({ messageType: responseType, sequenceId: frame.sequenceId, success: false, reason: 'Please log in' }));
      return;
    }
    framesOk.inc();
    try {
      const response = await route.handle(socket, frame);
      socket.send(frameOf({ messageType: responseType, sequenceId: frame.sequenceId, ...response }));
    } catch (error) {
      const { code, reason, fields } =
        error instanceof FrameRefusal ? error : { code: RefusalCode.Internal, reason: 'Internal error', fields: {} };
      socket.send(frameOf({ messageType: responseType, sequenceId: frame.sequenceId, ...fields, success: false, reason, code }));
    }
  }

  private async chat(socket: Client, frame: ClientFrame): Promise<ResponseFields> {
    const { to } = checkedChat(socket.username!, frame);
    return acknowledgement(socket.username!, to);
  }

  private error(socket: Client, sequenceId: number, reason: string): void {
    socket.send(frameOf({ messageType: MessageType.Error, sequenceId, success: false, reason, code: RefusalCode.InvalidArgument }));
  }
}

// --- nest-bare: @SubscribeMessage, the same hand-made checks -------------------------------------

@WebSocketGateway({ path: '/ws' })
class BareGateway {
  handleConnection(socket: Client, request: IncomingMessage): void {
    socket.username = userOf(request);
  }

  @SubscribeMessage(String(MessageType.ChatRequest))
  async chat(@ConnectedSocket() socket: Client, @MessageBody() frame: ClientFrame): Promise<ResponseFields> {
    const responseType = MessageType.ChatResponse;
    if (!socket.username) return { messageType: responseType, sequenceId: frame.sequenceId, success: false, reason: 'Please log in' };
    framesOk.inc();
    try {
      const { to } = checkedChat(socket.username, frame);
      return withTime({ messageType: responseType, sequenceId: frame.sequenceId, ...acknowledgement(socket.username, to) });
    } catch (error) {
      if (!(error instanceof FrameRefusal)) throw error;
      return withTime({ messageType: responseType, sequenceId: frame.sequenceId, ...error.fields, success: false, reason: error.reason });
    }
  }
}

/** Nest sends what a handler returns as JSON itself: `time` is set as frameOf sets it. */
function withTime(fields: ResponseFields): ResponseFields {
  fields.time ??= new Date().toISOString();
  return fields;
}

// --- nest-full: guard, ValidationPipe, interceptor, filter --------------------------------------

class ChatRequestDto {
  @IsInt()
  messageType: number;

  @IsInt()
  sequenceId: number;

  @IsString()
  @IsNotEmpty()
  @MaxLength(MAX_USERNAME_LENGTH)
  to: string;

  @IsString()
  @MaxLength(MAX_CONTENT_LENGTH)
  content: string;

  @IsOptional()
  @IsString()
  from?: string;

  @IsOptional()
  @IsString()
  clientMessageId?: string;
}

@Injectable()
class LoggedInGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return Boolean(context.switchToWs().getClient<Client>().username);
  }
}

@Injectable()
class FrameCounter implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    framesOk.inc();
    return next.handle();
  }
}

/** Refusals in the request's response shape, as the gateway answers them. */
@Catch()
class RefusalFilter extends BaseWsExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    const socket = host.switchToWs().getClient<Client>();
    const frame = host.switchToWs().getData<ClientFrame>();
    const reason = exception instanceof Error ? exception.message : 'Internal error';
    socket.send(frameOf({ messageType: MessageType.ChatResponse, sequenceId: frame?.sequenceId ?? 0, success: false, reason }));
  }
}

@WebSocketGateway({ path: '/ws' })
@UseFilters(RefusalFilter)
@UseInterceptors(FrameCounter)
@UsePipes(createValidationPipe())
class FullGateway {
  handleConnection(socket: Client, request: IncomingMessage): void {
    socket.username = userOf(request);
  }

  @UseGuards(LoggedInGuard)
  @SubscribeMessage(String(MessageType.ChatRequest))
  async chat(@ConnectedSocket() socket: Client, @MessageBody() frame: ChatRequestDto): Promise<ResponseFields> {
    const username = socket.username!;
    if (frame.from !== undefined && frame.from !== username) throw new FrameRefusal(RefusalCode.Forbidden, 'from is not you');
    return withTime({ messageType: MessageType.ChatResponse, sequenceId: frame.sequenceId, ...acknowledgement(username, frame.to) });
  }
}

/** nest-full with the ValidationPipe alone: where nest-full's cost over nest-bare comes from. */
@WebSocketGateway({ path: '/ws' })
@UsePipes(createValidationPipe())
class PipeGateway {
  handleConnection(socket: Client, request: IncomingMessage): void {
    socket.username = userOf(request);
  }

  @SubscribeMessage(String(MessageType.ChatRequest))
  async chat(@ConnectedSocket() socket: Client, @MessageBody() frame: ChatRequestDto): Promise<ResponseFields> {
    const responseType = MessageType.ChatResponse;
    if (!socket.username) return { messageType: responseType, sequenceId: frame.sequenceId, success: false, reason: 'Please log in' };
    framesOk.inc();
    const username = socket.username;
    if (frame.from !== undefined && frame.from !== username) throw new FrameRefusal(RefusalCode.Forbidden, 'from is not you');
    return withTime({ messageType: responseType, sequenceId: frame.sequenceId, ...acknowledgement(username, frame.to) });
  }
}

const GATEWAYS: Record<Variant, Type<unknown>> = {
  direct: DirectGateway,
  'nest-bare': BareGateway,
  'nest-pipe': PipeGateway,
  'nest-full': FullGateway,
};

/** One app, listening on a free loopback port; its port goes to the parent over IPC. */
async function serve(variant: Variant): Promise<void> {
  @Module({ providers: [GATEWAYS[variant]] })
  class BenchModule {}
  const app = await NestFactory.create<NestFastifyApplication>(BenchModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
  app.useWebSocketAdapter(new BenchWsAdapter(app, variant === 'direct'));
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  process.send!({ port: typeof address === 'object' && address ? address.port : 0 });
}

// --- the load and the figures ------------------------------------------------------------------

type Options = { clients: number; inflight: number; windowMs: number; windows: number; warmupMs: number; out?: string };
type Window = { perSec: number; serverCpuUsPerRequest: number; serverCpuPct: number; driverCpuPct: number };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system) a process has used, from /proc/PID/stat. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A server child process and its port. */
function start(variant: Variant): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(__filename, ['--serve', variant], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.spec.json' },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${variant} did not start`)), START_TIMEOUT_MS);
    child.once('message', (m: { port: number }) => {
      clearTimeout(timer);
      resolve({ child, port: m.port });
    });
    child.once('exit', (code) => reject(new Error(`${variant} exited (${code})`)));
  });
}

/** The closed-loop clients of one app: each keeps `inflight` ChatRequests out, sending the next on every answer. */
class Load {
  answered = 0;
  refused = 0;
  private running = false;
  private readonly sockets: WebSocket[] = [];
  private readonly content = 'x'.repeat(CONTENT_BYTES);

  constructor(private readonly port: number) {}

  async connect(count: number): Promise<void> {
    const opened = Array.from({ length: count }, (_, i) => {
      const socket = new WebSocket(`ws://127.0.0.1:${this.port}/ws?user=u${i}`, { perMessageDeflate: false });
      this.sockets.push(socket);
      socket.on('message', (data: RawData) => this.onAnswer(socket, i, data));
      return new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
    });
    await Promise.all(opened);
  }

  private onAnswer(socket: WebSocket, i: number, data: RawData): void {
    const frame = JSON.parse(data.toString()) as { success?: boolean };
    if (frame.success) this.answered++;
    else this.refused++;
    if (this.running) this.send(socket, i);
  }

  private sequenceId = 0;

  private send(socket: WebSocket, i: number): void {
    const to = `u${(i + 1) % this.sockets.length}`;
    socket.send(JSON.stringify({ messageType: MessageType.ChatRequest, sequenceId: ++this.sequenceId, to, content: this.content }));
  }

  run(inflight: number): void {
    this.running = true;
    this.sockets.forEach((socket, i) => {
      for (let k = 0; k < inflight; k++) this.send(socket, i);
    });
  }

  /** Stops sending and waits for what is in flight to be answered. */
  async stop(): Promise<void> {
    this.running = false;
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    let last = -1;
    while (Date.now() < deadline && last !== this.answered + this.refused) {
      last = this.answered + this.refused;
      await sleep(100);
    }
  }

  close(): void {
    for (const socket of this.sockets) socket.terminate();
  }
}

async function measure(load: Load, pid: number, options: Options, warmupMs: number): Promise<Window> {
  load.run(options.inflight);
  await sleep(warmupMs);
  const answered0 = load.answered;
  const cpu0 = cpuSeconds(pid);
  const driver0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(options.windowMs);
  const seconds = (performance.now() - t0) / 1000;
  const answered = load.answered - answered0;
  const cpu = cpuSeconds(pid) - cpu0;
  const driver = process.cpuUsage(driver0);
  await load.stop();
  return {
    perSec: answered / seconds,
    serverCpuUsPerRequest: (cpu * 1e6) / answered,
    serverCpuPct: (100 * cpu) / seconds,
    driverCpuPct: (100 * (driver.user + driver.system)) / 1e6 / seconds,
  };
}

const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function drive(options: Options): Promise<void> {
  const loadBefore = loadavg();
  const apps = new Map<Variant, { child: ChildProcess; load: Load }>();
  try {
    for (const variant of VARIANTS) {
      const { child, port } = await start(variant);
      const load = new Load(port);
      // Known before its clients connect, so that a failed connect still ends the child.
      apps.set(variant, { child, load });
      await load.connect(options.clients);
    }
    const results = new Map<Variant, Window[]>(VARIANTS.map((v) => [v, []]));
    // Round by round, every app one window: a change in the machine's load falls on all three alike.
    for (let round = 0; round < options.windows; round++) {
      for (const variant of VARIANTS) {
        const { child, load } = apps.get(variant)!;
        const window = await measure(load, child.pid!, options, options.warmupMs);
        results.get(variant)!.push(window);
        const cpu = `server ${fmt(window.serverCpuUsPerRequest, 1)} µs/request, server CPU ${fmt(window.serverCpuPct)} %`;
        process.stdout.write(
          `round ${round + 1} ${variant}: ${fmt(window.perSec)} answers/s, ${cpu}, driver ${fmt(window.driverCpuPct)} %\n`,
        );
      }
    }
    const refused = [...apps.values()].reduce((sum, app) => sum + app.load.refused, 0);
    report(options, results, loadBefore, loadavg(), refused);
  } finally {
    for (const { child, load } of apps.values()) {
      load.close();
      child.kill();
    }
  }
}

function report(options: Options, results: Map<Variant, Window[]>, before: number[], after: number[], refused: number): void {
  const la = (v: number[]) => v.map((x) => x.toFixed(1)).join(' / ');
  const direct = median(results.get('direct')!.map((w) => w.serverCpuUsPerRequest));
  const lines = [
    `${options.clients} clients x ${options.inflight} in flight, ${options.windows} rounds of ${options.windowMs / 1000} s windows ` +
      `(${options.warmupMs / 1000} s warm-up each), ${cpus().length} cores, Node ${process.version}; load average (1 / 5 / 15 min) ` +
      `before ${la(before)}, after ${la(after)}; ${refused} refused answers.`,
    '',
    '| App | Answers/s, median [windows] | Server CPU µs per request, median [windows] | vs direct | Server CPU % |',
    '|---|---|---|---|---|',
  ];
  for (const variant of VARIANTS) {
    const windows = results.get(variant)!;
    const perSec = windows.map((w) => w.perSec);
    const us = windows.map((w) => w.serverCpuUsPerRequest);
    const extra = median(us) - direct;
    const versus = variant === 'direct' ? '–' : `+${fmt(extra, 1)} µs (+${fmt((100 * extra) / direct)} %)`;
    lines.push(
      `| ${variant} | ${fmt(median(perSec))} [${perSec.map((v) => fmt(v)).join(' / ')}] | ${fmt(median(us), 1)} ` +
        `[${us.map((v) => fmt(v, 1)).join(' / ')}] | ${versus} | ${fmt(median(windows.map((w) => w.serverCpuPct)))} |`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (options.out)
    writeFileSync(options.out, JSON.stringify({ options, before, after, refused, results: Object.fromEntries(results) }, null, 2));
}

function main(): void {
  const { values } = parseArgs({
    options: {
      serve: { type: 'string' },
      clients: { type: 'string', default: '200' },
      inflight: { type: 'string', default: '4' },
      window: { type: 'string', default: '10' },
      windows: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '2' },
      out: { type: 'string' },
    },
    strict: true,
  });
  if (values.serve !== undefined) {
    if (!(VARIANTS as readonly string[]).includes(values.serve)) throw new Error(`--serve ${values.serve}: one of ${VARIANTS.join(', ')}`);
    void serve(values.serve as Variant);
    return;
  }
  const options: Options = {
    clients: Number(values.clients),
    inflight: Number(values.inflight),
    windowMs: Number(values.window) * 1000,
    windows: Number(values.windows),
    warmupMs: Number(values.warmup) * 1000,
    out: values.out,
  };
  drive(options).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`nest-pipeline: ${error instanceof Error ? error.stack : String(error)}\n`);
      process.exit(1);
    },
  );
}

main();
