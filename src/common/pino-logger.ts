import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';

/** Nest's route mapping at start-up (one line per route, most of the start-up output): for debugging only. */
const ROUTE_MAPPING_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer']);

/**
 * Coloured, readable lines when a person watches a terminal and pino-pretty (an optional
 * dependency) is installed; JSON lines otherwise, for log collectors.
 */
function prettyOnTerminal(): DestinationStream | undefined {
  if (!process.stdout.isTTY) return undefined;
  try {
    require.resolve('pino-pretty');
  } catch {
    return undefined;
  }
  const options = { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,context', messageFormat: '{context}: {msg}' };
  return pino.transport({ target: 'pino-pretty', options });
}

/** Nest's logger backed by pino: one JSON line per event, with the Nest context as `context`. */
export class PinoLogger implements LoggerService {
  readonly pino: Logger;

  constructor(level: string, destination: DestinationStream | undefined = prettyOnTerminal()) {
    this.pino = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  }

  log(message: unknown, context?: string): void {
    if (context && ROUTE_MAPPING_CONTEXTS.has(context)) this.pino.debug({ context }, String(message));
    else this.pino.info({ context }, String(message));
  }

  error(message: unknown, trace?: string, context?: string): void {
    this.pino.error({ context, trace }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }

  debug(message: unknown, context?: string): void {
    this.pino.debug({ context }, String(message));
  }

  verbose(message: unknown, context?: string): void {
    this.pino.trace({ context }, String(message));
  }

  fatal(message: unknown, context?: string): void {
    this.pino.fatal({ context }, String(message));
  }
}
