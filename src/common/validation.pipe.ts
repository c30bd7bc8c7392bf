import { ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidationFailedException } from './error-mapping';

/** A missing value first, then a wrong type: `current=1.5` is not an integer, whatever its bounds say. */
const FIRST_CHECKS = ['isNotEmpty', 'isDefined', 'isInt', 'isString', 'isBoolean', 'isDateString'];

function mainFailure(constraints: Record<string, string>): string | undefined {
  const first = FIRST_CHECKS.find((name) => constraints[name] !== undefined);
  return first ? constraints[first] : Object.values(constraints)[0];
}

function firstProblem(errors: ValidationError[], parent = ''): string {
  for (const error of errors) {
    const path = parent ? `${parent}.${error.property}` : error.property;
    if (error.constraints?.whitelistValidation) return `${path} is not a known field`;
    const constraint = error.constraints ? mainFailure(error.constraints) : undefined;
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
