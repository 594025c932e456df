// A report as the file writers take it: a name, column titles and rows produced lazily, so a
// report of a million devices is never held whole in memory. Rows may come from an async
// iterable (the devices report reads the store as the writer asks for rows).

export type Cell = string | number | null;

export interface ReportTable {
  /** File and sheet name, e.g. `devices`. */
  name: string;
  columns: string[];
  /** Pulled one at a time by the writer, only as fast as the file's reader takes the file. */
  rows: Iterable<Cell[]> | AsyncIterable<Cell[]>;
}

/**
 * OWASP's CSV-injection rule: a spreadsheet runs a cell as a formula when it starts with `=`,
 * `+`, `-` or `@`, and several skip leading whitespace first; tab and carriage return start a
 * formula in some readers too.
 */
const FORMULA_START = /^(?:[\t\r]|\s*[=+\-@])/;

/**
 * Text as it may appear in a report file: a cell that starts (after any leading whitespace)
 * with `=`, `+`, `-` or `@`, or with a tab or carriage return, is prefixed with `'`, so no
 * device-supplied text runs as a formula. Numbers are written as numbers.
 */
export function safeCell(c: Cell): Cell {
  return typeof c === 'string' && FORMULA_START.test(c) ? `'${c}` : c;
}

/**
 * A formula character right after a separator a spreadsheet may split on (`,` `;` tab `|`),
 * possibly behind whitespace or quotes: a reader set to another separator than the file's
 * (Excel in a `;` locale opening a `,` file) starts a new cell there.
 */
const FORMULA_AFTER_SEPARATOR = /([,;\t|][\s"]*)(?=[=+\-@])/g;

/** `safeCell` for CSV: also defuses a formula that starts after a separator inside the text. */
export function safeCsvCell(c: Cell): Cell {
  const v = safeCell(c);
  return typeof v === 'string' ? v.replace(FORMULA_AFTER_SEPARATOR, "$1'") : v;
}
