import { Type, applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

type Schema = SchemaObject | ReferenceObject;
import { R } from './envelope';
import { ErrorCode } from './error-codes';

type Primitive = 'integer' | 'boolean' | 'string' | 'object';

/** The models routes answer with: swagger.ts closes them (no property beyond the documented ones). */
export const RESPONSE_MODELS = new Set<string>();

/** The envelope with its `code` values and `data` typed. */
export function envelopeSchema(codes: number[], data: Schema): SchemaObject {
  return {
    allOf: [
      { $ref: getSchemaPath(R) },
      { type: 'object', required: ['data'], properties: { code: { type: 'integer', format: 'int32', enum: codes }, data } },
    ],
  };
}

/** An error answer: the envelope with this code and `data` null. */
export function errorEnvelopeSchema(code: number): SchemaObject {
  return envelopeSchema([code], { type: 'object', nullable: true, enum: [null] });
}

function dataSchema(model: Type<unknown> | Primitive | null, isArray: boolean): Schema {
  let item: Schema;
  if (model === null) item = { type: 'object', nullable: true, enum: [null] };
  else if (typeof model === 'string') item = model === 'integer' ? { type: 'integer', format: 'int32' } : { type: model };
  else {
    RESPONSE_MODELS.add(model.name);
    item = { $ref: getSchemaPath(model) };
  }
  return isArray ? { type: 'array', items: item } : item;
}

/** Nullable, also around a $ref (a sibling of $ref is ignored in OpenAPI 3.0). */
function nullable(schema: Schema): SchemaObject {
  return '$ref' in schema ? { allOf: [schema], nullable: true } : { ...schema, nullable: true };
}

export interface ApiROptions {
  isArray?: boolean;
  description?: string;
  /** The route may refuse with -10 (HTTP 200, `data` null): the reason a client reads in `msg`. */
  refusal?: string;
}

/**
 * Documents a route's 200 answer as `R<T>` with its `data` typed (novu's response decorator, in
 * our terms); a route that may refuse with -10 has `data` nullable. The errors every route shares
 * (400, 429, 500) are added by swagger.ts, 401 and 403 by the access decorators.
 */
export function ApiR(model: Type<unknown> | Primitive | null, options: ApiROptions = {}) {
  const extraModels: Type<unknown>[] = [R];
  if (typeof model === 'function') extraModels.push(model);
  const data = dataSchema(model, options.isArray ?? false);
  const description = options.description ?? 'The R<T> envelope';
  const refusable = { codes: [ErrorCode.Ok, ErrorCode.OperationFailed], data: nullable(data) };
  const answer = options.refusal
    ? { description: `${description}; code -10 and data null: ${options.refusal}`, schema: envelopeSchema(refusable.codes, refusable.data) }
    : { description, schema: envelopeSchema([ErrorCode.Ok], data) };
  return applyDecorators(ApiExtraModels(...extraModels), ApiResponse({ status: 200, ...answer }));
}

/** Documents an error answer of a route or controller: the envelope with `data` null. */
export function ApiErrorR(status: number, code: number, description: string) {
  return applyDecorators(ApiExtraModels(R), ApiResponse({ status, description, schema: errorEnvelopeSchema(code) }));
}
