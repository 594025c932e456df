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

/**
 * JSON with sorted keys, so equal values give equal text. Iterative, with its own stack: a
 * value nested thousands deep (refused at parse time, but not every value comes from there)
 * costs memory, never the call stack.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  // Work items: a value still to write, or literal text (brackets, commas, keys).
  const work: Array<{ v: unknown } | string> = [{ v: value }];
  while (work.length > 0) {
    const item = work.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const v = item.v;
    if (Array.isArray(v)) {
      work.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        work.push({ v: v[i] });
        if (i > 0) work.push(',');
      }
      work.push('[');
    } else if (v !== null && typeof v === 'object') {
      const ks = Object.keys(v).sort();
      work.push('}');
      for (let i = ks.length - 1; i >= 0; i--) {
        work.push({ v: (v as Record<string, unknown>)[ks[i]!] });
        work.push(`${JSON.stringify(ks[i])}:`);
        if (i > 0) work.push(',');
      }
      work.push('{');
    } else {
      out.push(JSON.stringify(v) ?? 'null');
    }
  }
  return out.join('');
}
