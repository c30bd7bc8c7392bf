import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/app-config';
import { PinoLogger } from './common/pino-logger';
import { ClusterService } from './cluster/cluster.service';
import { RebalanceService } from './cluster/rebalance.service';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = new PinoLogger(config.logLevel);
  // One failed promise somewhere must not take every connection of this instance down with it.
  process.on('unhandledRejection', (reason: unknown) => {
    logger.error(`Unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`, undefined, 'Process');
  });
  for (const name of config.generatedSecrets) {
    const value = name === 'ADMIN_TOKEN' ? config.adminToken : config.clusterToken;
    logger.warn(`${name} was not set; generated for this run: ${value}`, 'Config');
  }
  const app = await createApp(config, logger);
  await app.listen(config.port, config.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  await app.get(ClusterService).announce(port);
  app.get(RebalanceService).start();
  logger.log(`Listening on ${config.host}:${port} (HTTP and WebSocket at /ws)`, 'Bootstrap');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`Failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
