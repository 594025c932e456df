// JSON from outside, bounded in depth (SPEC §3: deeper than 64 levels is 400 INVALID_REQUEST).
// The depth is measured on the text before parsing, so no deep value ever reaches code that
// walks it (validation, canonicalisation, logging).
import { OutpostError } from '../../errors.ts';

export const MAX_JSON_DEPTH = 64;

/** True when `text` opens more than `max` arrays or objects inside one another. */
export function nestedDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Parses `text` as JSON; 400 INVALID_REQUEST when it is not, or nests too deep. `what` names it ("The body"). */
export function parseBoundedJson(text: string, what = 'The body'): unknown {
  if (nestedDeeperThan(text)) {
    throw new OutpostError('INVALID_REQUEST', `${what} nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new OutpostError('INVALID_REQUEST', `${what} is not valid JSON.`);
  }
}
