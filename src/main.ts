import 'reflect-metadata';
import { join } from 'node:path';
import { INestApplication } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, KEPT_SECRET_FILES, WILDCARD_HOSTS, loadConfig } from './config/app-config';
import { loadDotEnv } from './config/dot-env';
import { PinoLogger } from './common/pino-logger';
import { ClusterService } from './cluster/cluster.service';
import { RebalanceService } from './cluster/rebalance.service';
import { StatsService } from './cluster/stats.service';

/** SIGTERM and SIGINT drain and close the application, then exit 0; a second signal exits at once. */
function stopOnSignals(app: INestApplication, drainTimeoutMs: number, logger: PinoLogger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.log(`${signal}: draining and shutting down`, 'Bootstrap');
    const deadline = setTimeout(() => {
      logger.error('Shutdown took too long; exiting', undefined, 'Bootstrap');
      process.exit(1);
    }, drainTimeoutMs + 15_000);
    deadline.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${String(error)}`, undefined, 'Bootstrap');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function bootstrap(): Promise<void> {
  let config;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = new PinoLogger(config.logging.level);
  // One failed promise somewhere must not take every connection of this instance down with it.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error(`Unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`, undefined, 'Process');
  });
  for (const name of config.auth.generatedSecrets) {
    const value = name === 'ADMIN_TOKEN' ? config.auth.adminToken : config.auth.clusterToken;
    logger.warn(`${name} was not set; using the one kept in ${join(config.storage.dataDir, KEPT_SECRET_FILES[name])}: ${value}`, 'Config');
  }
  const app = await createApp(config, logger);
  await app.listen(config.http.port, config.http.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  await app.get(ClusterService).announce(port);
  app.get(RebalanceService).start();
  app.get(StatsService).start();
  stopOnSignals(app, config.rebalance.drainTimeoutMs, logger);
  logger.log(startBanner(config.http.host, port, config.http.swaggerUi), 'Bootstrap');
}

/** The one line to read at start: where to point a browser or a client. */
function startBanner(host: string, port: number, swaggerUi: boolean): string {
  // A wildcard address is where the server listens, not one a browser can open.
  const shown = WILDCARD_HOSTS.has(host) ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  const http = `http://${shown}:${port}`;
  const pages = [`chat page ${http}/`, `admin console ${http}/admin`, ...(swaggerUi ? [`Swagger UI ${http}/swagger-ui`] : [])];
  return `Listening on ${host}:${port}: ${pages.join(', ')}, WebSocket ws://${shown}:${port}/ws, health ${http}/health`;
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
