import { PinoLogger } from './pino-logger';

/** The JSON lines a logger at `level` writes. */
function lines(level: string, write: (logger: PinoLogger) => void): { level: number; context?: string; msg: string }[] {
  const out: string[] = [];
  write(new PinoLogger(level, { write: (line: string) => out.push(line) }));
  return out.map((line) => JSON.parse(line));
}

describe('PinoLogger', () => {
  const startUp = (logger: PinoLogger) => {
    logger.log('ChatController {/chat}:', 'RoutesResolver');
    logger.log('Mapped {/chat/send, POST} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
  };

  it("keeps Nest's route mapping out of the default level", () => {
    expect(lines('info', startUp).map((line) => line.context)).toEqual(['NestApplication']);
  });

  it('writes the route mapping at debug level', () => {
    const written = lines('debug', startUp);
    expect(written.map((line) => [line.context, line.level])).toEqual([
      ['RoutesResolver', 20],
      ['RouterExplorer', 20],
      ['NestApplication', 30],
    ]);
  });
});
