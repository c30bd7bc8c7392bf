import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESPONSE_MODELS, errorEnvelopeSchema } from './common/api-envelope.decorator';
import { ErrorCode } from './common/error-codes';

/** The version the document states: the package's own, beside dist/ and src/ alike. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** What any route may answer besides its own (docs/protocol.md §7.1); health probes are never rate-limited. */
const SHARED_ERRORS: { status: string; code: number; description: string; health: boolean }[] = [
  {
    status: '400',
    code: ErrorCode.Validation,
    description: 'Validation failed: msg names the first failing field (also a malformed or oversized body)',
    health: true,
  },
  {
    status: '429',
    code: ErrorCode.TooManyRequests,
    description: 'Too many requests from this address (HTTP_LIMIT_PER_ADDRESS); Retry-After says when to retry',
    health: false,
  },
  { status: '500', code: ErrorCode.Internal, description: 'Internal error: msg is "System busy, please try again later"', health: true },
];

/**
 * The one post-processing step: the errors every route shares are added here rather than on each
 * route, and the response models are closed, so that a property the document does not name is drift.
 */
function completeDocument(document: OpenAPIObject): OpenAPIObject {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const operation of [item.get, item.put, item.post, item.delete, item.patch]) {
      if (!operation) continue;
      for (const error of SHARED_ERRORS) {
        if (!error.health && path.startsWith('/health')) continue;
        const content = { 'application/json': { schema: errorEnvelopeSchema(error.code) } };
        operation.responses[error.status] ??= { description: error.description, content };
      }
    }
  }
  for (const name of RESPONSE_MODELS) {
    const schema = document.components?.schemas?.[name];
    if (schema && !('$ref' in schema)) schema.additionalProperties = false;
  }
  return document;
}

/**
 * The OpenAPI document at /v2/api-docs (any `?group=` gets the same one) and, unless `withUi` is
 * false (SWAGGER_UI), its UI at /swagger-ui and /doc.html.
 */
export function setupSwagger(app: INestApplication, withUi: boolean): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Chat server')
      .setDescription(
        'HTTP API of the chat server. Every response is wrapped in the R<T> envelope (docs/protocol.md §7), errors included. ' +
          'The WebSocket protocol is in docs/protocol.md.',
      )
      .setVersion(packageVersion())
      .setLicense('MIT', 'https://opensource.org/licenses/MIT')
      .addServer('/', 'This instance')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' }, 'admin')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Cluster-Token', description: 'CLUSTER_TOKEN' }, 'cluster')
      .build(),
  );
  const options = { jsonDocumentUrl: 'v2/api-docs', raw: ['json' as const], ui: withUi };
  const complete = completeDocument(document);
  SwaggerModule.setup('swagger-ui', app, complete, options);
  if (withUi) SwaggerModule.setup('doc.html', app, complete, { raw: false });
}
