// Random identifiers and secrets, and the hashes secrets are stored as.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random id with a readable prefix, e.g. `va_3kTq8cN1x0ab`. */
export const newId = (prefix: string): string => `${prefix}_${randomBytes(9).toString('base64url')}`;

/** A high-entropy secret; such secrets are stored as their SHA-256 (no salt needed at 256 bits). */
export const newSecret = (prefix: string): string => `${prefix}_${randomBytes(32).toString('base64url')}`;

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

/** Compares two strings without leaking where they differ. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

/** JSON with sorted keys, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
