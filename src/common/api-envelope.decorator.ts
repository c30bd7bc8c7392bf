import { Type, applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { R } from './envelope';

type Primitive = 'integer' | 'boolean' | 'string' | 'object';

/** Documents a route's response as `R<T>` with its `data` typed (novu's response decorator, in our terms). */
export function ApiR(model: Type<unknown> | Primitive | null, options: { isArray?: boolean; description?: string } = {}) {
  const extraModels: Type<unknown>[] = [R];
  let item: SchemaObject;
  if (model === null) item = { type: 'object', nullable: true };
  else if (typeof model === 'string') item = model === 'integer' ? { type: 'integer', format: 'int32' } : { type: model };
  else {
    extraModels.push(model);
    item = { $ref: getSchemaPath(model) } as SchemaObject;
  }
  const data: SchemaObject = options.isArray ? { type: 'array', items: item } : item;
  return applyDecorators(
    ApiExtraModels(...extraModels),
    ApiOkResponse({
      description: options.description ?? 'The R<T> envelope',
      schema: { allOf: [{ $ref: getSchemaPath(R) }, { properties: { data } }] },
    }),
  );
}
