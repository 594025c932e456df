// XLSX of a report table: the few SpreadsheetML parts a one-sheet workbook needs (ECMA-376
// part 1), zipped by archiver as they are produced. The sheet's XML is written like the CSV, in
// chunks of about 64 KiB pulled only as fast as the zip's reader takes the file, so memory stays
// flat however many rows there are and the row source is closed when the reader goes away.
//
// exceljs's streaming writer did this before; it is now only the tests' reader (with openpyxl).
// Without it the daemon does not load 17 MB of modules at its first spreadsheet, nor make a Row
// and Cell objects for every row, and row numbers are counted as text (`RowNumber`): at a
// million devices the export's peak RSS went from 370–381 MB to 344–345.
import { Readable } from 'node:stream';
import { ZipArchive } from 'archiver';
import { safeCell, type Cell, type ReportTable } from './table.ts';

const CHUNK = 64 * 1024;

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const DOC_REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

const CONTENT_TYPES =
  `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
  '<Default Extension="xml" ContentType="application/xml"/>' +
  '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
  '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' +
  '</Types>';
const ROOT_RELS =
  `${XML_HEAD}<Relationships xmlns="${REL_NS}">` +
  `<Relationship Id="rId1" Type="${DOC_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
const WORKBOOK_RELS =
  `${XML_HEAD}<Relationships xmlns="${REL_NS}">` +
  `<Relationship Id="rId1" Type="${DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`;
const workbook = (sheetName: string): string =>
  `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${DOC_REL}">` +
  `<sheets><sheet name="${text(sheetName)}" sheetId="1" r:id="rId1"/></sheets></workbook>`;
/** The header row stays in view as the sheet scrolls. */
const SHEET_HEAD =
  `${XML_HEAD}<worksheet xmlns="${MAIN_NS}"><sheetViews><sheetView workbookViewId="0">` +
  '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>';
const SHEET_TAIL = '</sheetData></worksheet>';

/** Characters XML 1.0 does not allow at all (all C0 controls but tab, LF and CR; U+FFFE, U+FFFF). */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const NEEDS_WORK = /[\u0000-\u001f&<>"_\ufffe\uffff]/;
const ESCAPED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;' };

/** SpreadsheetML's own escape `_xHHHH_` (ECMA-376 part 1, ST_Xstring), which Excel decodes in cell text. */
const LOOKS_ESCAPED = /_(x[0-9A-Fa-f]{4}_)/g;

/**
 * Text as XML character data. A character XML cannot carry becomes U+FFFD; CR is written as a
 * reference so a reader keeps it (a literal one would be read as LF); text that looks like
 * SpreadsheetML's `_xHHHH_` escape has its `_` escaped, so Excel shows it as it was. A lone
 * surrogate becomes U+FFFD on the way to UTF-8.
 */
function text(s: string): string {
  if (!NEEDS_WORK.test(s)) return s; // most cells: no new strings
  return s.replace(NOT_XML, '\ufffd').replace(LOOKS_ESCAPED, '_x005F_$1').replace(/[&<>"\r]/g, (c) => ESCAPED[c]!);
}

/** A1-style column letters: A … Z, AA … */
function columnName(i: number): string {
  let name = '';
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** One row's XML, `r` its number as text; an empty cell (null) is left out. */
function rowXml(r: string, cells: Cell[], columns: string[]): string {
  const xml = [`<row r="${r}">`];
  for (let i = 0; i < cells.length; i++) {
    const c = safeCell(cells[i]!);
    if (c === null) continue;
    const ref = (columns[i] ??= columnName(i)) + r;
    xml.push(
      typeof c === 'number' && Number.isFinite(c)
        ? `<c r="${ref}"><v>${c}</v></c>`
        : `<c r="${ref}" t="inlineStr"><is><t xml:space="preserve">${text(String(c))}</t></is></c>`,
    );
  }
  xml.push('</row>');
  return xml.join('');
}

const DIGITS = '0123456789';

/**
 * Row numbers 1, 2, 3 … as text, counted in decimal digits. Not `String(n)`: V8 keeps each
 * number it turns into text in a cache, which outlives young-generation collections, so a
 * million row numbers left ~20 MB of dead strings in the old generation before a full
 * collection came (measured with --trace-gc at a million devices: the export's old generation
 * grew 35 MB, now 16; the CSV's 3).
 */
class RowNumber {
  /** All digits but the last. */
  #head = '';
  #last = 0;

  next(): string {
    if (++this.#last === 10) {
      this.#last = 0;
      this.#head = RowNumber.#increment(this.#head);
    }
    return this.#head + DIGITS[this.#last]!;
  }

  static #increment(digits: string): string {
    if (digits === '') return '1';
    const last = digits.charCodeAt(digits.length - 1) - 48;
    const head = digits.slice(0, -1);
    return last === 9 ? RowNumber.#increment(head) + '0' : head + DIGITS[last + 1]!;
  }
}

async function* sheetXml(table: ReportTable): AsyncGenerator<string> {
  const columns = table.columns.map((_, i) => columnName(i));
  const r = new RowNumber();
  let rows = [SHEET_HEAD, rowXml(r.next(), table.columns, columns)];
  let length = 0;
  for await (const row of table.rows) {
    const xml = rowXml(r.next(), row, columns);
    rows.push(xml);
    length += xml.length;
    if (length >= CHUNK) {
      yield rows.join('');
      rows = [];
      length = 0;
    }
  }
  rows.push(SHEET_TAIL);
  yield rows.join('');
}

/**
 * The table as an XLSX file (one sheet named after the table, text as inline strings, numbers
 * as numbers, every cell through `safeCell`), produced as it is read. A failure of the row
 * source fails the stream, so a reader never takes a cut file for a whole one.
 */
export function xlsxStream(table: ReportTable): Readable {
  // archiver buffers 1 MiB of its output by default: at the ratio sheet XML compresses (5–20×),
  // that would be many thousand rows produced ahead of a reader who has stopped reading.
  const zip = new ZipArchive({ zlib: { level: 6 }, highWaterMark: CHUNK });
  const sheet = Readable.from(sheetXml(table), { objectMode: false });
  // archiver does not pass on a source's error, nor stop its sources when it is destroyed.
  sheet.once('error', (err) => zip.destroy(err));
  zip.once('close', () => sheet.destroy());
  zip.once('error', () => sheet.destroy());
  const date = new Date();
  zip.append(CONTENT_TYPES, { name: '[Content_Types].xml', date });
  zip.append(ROOT_RELS, { name: '_rels/.rels', date });
  zip.append(workbook(table.name), { name: 'xl/workbook.xml', date });
  zip.append(WORKBOOK_RELS, { name: 'xl/_rels/workbook.xml.rels', date });
  zip.append(sheet, { name: 'xl/worksheets/sheet1.xml', date });
  void zip.finalize().catch((err: unknown) => zip.destroy(err as Error));
  return zip;
}
