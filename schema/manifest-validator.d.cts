// Types for the generated validator (scripts/compile-schema.ts writes manifest-validator.cjs).
import type { ErrorObject } from 'ajv';

declare function validate(data: unknown): boolean;
declare namespace validate {
  let errors: ErrorObject[] | null | undefined;
}
export = validate;
