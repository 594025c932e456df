// Which events a webhook wants (SPEC §10): patterns are dotted event types where `*` stands for
// one dotted segment or more, so `alert.*` matches `alert.raised` and `*` matches everything.

/** Does `type` match `pattern`? A `*` segment takes one segment or more; other segments match exactly. */
export function eventMatches(pattern: string, type: string): boolean {
  return matchSegments(pattern.split('.'), 0, type.split('.'), 0);
}

/** Does `type` match any of `patterns`? */
export const matchesAny = (patterns: readonly string[], type: string): boolean => patterns.some((p) => eventMatches(p, type));

function matchSegments(p: string[], i: number, t: string[], j: number): boolean {
  if (i === p.length) return j === t.length;
  if (p[i] === '*') {
    // One segment or more: try each length, leaving the rest of the pattern its own match.
    for (let k = j + 1; k <= t.length; k++) if (matchSegments(p, i + 1, t, k)) return true;
    return false;
  }
  return j < t.length && p[i] === t[j] && matchSegments(p, i + 1, t, j + 1);
}

/** A pattern as config accepts it: dotted lowercase segments, each a word or `*`. */
export const EVENT_PATTERN = /^(\*|[a-z][a-z0-9_-]*)(\.(\*|[a-z][a-z0-9_-]*))*$/;
