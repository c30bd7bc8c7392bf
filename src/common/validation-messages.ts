import { ValidationOptions } from 'class-validator';

/** The messages of the checks whose class-validator defaults read oddly ("an integer number"). */
export const MUST_BE_INTEGER: ValidationOptions = { message: '$property must be an integer' };
export const REQUIRED: ValidationOptions = { message: '$property is required' };
