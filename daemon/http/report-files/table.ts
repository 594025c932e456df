// A report as the file writers take it: a name, column titles and rows produced lazily, so a
// report of 100,000 devices is never held whole in memory.

export type Cell = string | number | null;

export interface ReportTable {
  /** File and sheet name, e.g. `devices`. */
  name: string;
  columns: string[];
  rows: Iterable<Cell[]>;
}

/** Characters that make a spreadsheet read a cell as a formula (SPEC §4), plus tab and CR (OWASP). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Text as it may appear in a report file: a cell starting with `=`, `+`, `-` or `@` is prefixed
 * with `'`, so no device-supplied text runs as a formula. Numbers are written as numbers.
 */
export function safeCell(c: Cell): Cell {
  return typeof c === 'string' && FORMULA_START.test(c) ? `'${c}` : c;
}
