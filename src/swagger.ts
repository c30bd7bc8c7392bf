import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/**
 * The OpenAPI document at /v2/api-docs (any `?group=` gets the same one) and, unless `withUi` is
 * false (SWAGGER_UI), its UI at /swagger-ui and /doc.html.
 */
export function setupSwagger(app: INestApplication, withUi: boolean): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Chat server')
      .setDescription('HTTP API of the chat server. Every response is wrapped in the R<T> envelope. The WebSocket protocol is in docs/protocol.md.')
      .setVersion('1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Cluster-Token', description: 'CLUSTER_TOKEN' }, 'cluster')
      .build(),
  );
  const options = { jsonDocumentUrl: 'v2/api-docs', raw: ['json' as const], ui: withUi };
  SwaggerModule.setup('swagger-ui', app, document, options);
  if (withUi) SwaggerModule.setup('doc.html', app, document, { raw: false });
}
