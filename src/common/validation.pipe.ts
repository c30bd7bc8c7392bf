import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedException } from './error-mapping';

function firstProblem(errors: ValidationError[], parent = ''): string {
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    // class-validator lists a property's failures in the reverse of the decorators' source order:
    // the last one is the first written, the type check (a property is typed, then bounded), so
    // `current=1.5` says it is not an integer rather than that it is over the maximum.
    const failures = error.constraints ? Object.values(error.constraints) : [];
    const constraint = failures[failures.length - 1];
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
