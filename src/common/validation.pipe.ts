import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedException } from './error-mapping';

function firstProblem(errors: ValidationError[], parent = ''): string {
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const constraint = error.constraints ? Object.values(error.constraints)[0] : undefined;
    if (constraint) return constraint.startsWith(error.property) ? `${parent ? `${parent}.` : ''}${constraint}` : `${path}: ${constraint}`;
    if (error.children?.length) return firstProblem(error.children, path);
  }
  return 'Invalid request';
}

/** The global pipe: unknown fields are refused, and the message names the first failing field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => new ValidationFailedException(firstProblem(errors)),
  });
}
