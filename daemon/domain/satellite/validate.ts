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

/** An ISO 8601 timestamp with a time zone, e.g. 2026-11-28T10:00:00Z. */
export const isoTimestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/, 'expected an ISO 8601 timestamp')
  .refine((s) => Number.isFinite(Date.parse(s)), 'expected a real date');

/** Printable text without control characters. */
export const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');
