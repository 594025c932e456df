// Turns a schema failure into 400 INVALID_REQUEST whose message names the field.
import { z } from 'zod';
import { OutpostError } from '../../errors.ts';

export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new OutpostError('INVALID_REQUEST', describeIssue(result.error.issues[0]!));
}

export function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return `Unknown field ${JSON.stringify([...issue.path.map(String), issue.keys[0]].join('.'))}.`;
  }
  if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
    return `Field ${JSON.stringify(field)} is required.`;
  }
  return field ? `Field ${JSON.stringify(field)}: ${issue.message}.` : `The body is invalid: ${issue.message}.`;
}

// Defined once with the usage report's fields, which the bundle shares (exchange/bundle/usage-report.ts).
export { isoTimestamp, printableText as text } from '../../../exchange/bundle/usage-report.ts';
