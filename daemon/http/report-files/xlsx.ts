// XLSX of a report table through exceljs's streaming writer: rows are committed as they are
// produced and the zip is written to the answer as it grows, so memory stays flat however many
// rows there are. exceljs's sheet stream ignores backpressure (it writes each 64 KiB buffer to
// the zip's deflate stream whatever that answers), so between batches of rows we wait: until the
// zip has started on the sheet, until the deflate stream has drained, and until the reader of
// the answer has.
import { once } from 'node:events';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { safeCell, type ReportTable } from './table.ts';

/** Rows committed between two checks of backpressure (about 20 KiB of sheet XML: less in flight, a lower peak). */
const ROWS_PER_TURN = 50;
/** Sheet buffers (64 KiB each) allowed to wait for the zip before it starts reading them. */
const MAX_WAITING_BUFFERS = 4;

/** exceljs 4.4's StreamBuf, as far as it is read here (pinned version: checked by the tests). */
interface SheetStream {
  pipes: Writable[];
  buffers: unknown[];
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * Whether a write to `w` was refused (it will emit 'drain'). The zip's deflate stream is a
 * readable-stream 3 Transform, without Node's `writableNeedDrain`: its state says the same.
 */
const needsDrain = (w: Writable): boolean =>
  w.writableNeedDrain ?? (w as unknown as { _writableState?: { needDrain?: boolean } })._writableState?.needDrain ?? false;

/** Resolves once `w` has drained, or at once when it need not; also when `out` closes. */
async function drained(w: Writable, out: Writable): Promise<void> {
  if (!needsDrain(w) || w.destroyed || out.destroyed) return;
  const ac = new AbortController();
  await Promise.race([once(w, 'drain', { signal: ac.signal }), once(out, 'close', { signal: ac.signal })]).catch(() => {});
  ac.abort();
}

/**
 * The table as an XLSX file, produced as it is read. Only exceljs's streaming writer is loaded
 * (the module `ExcelJS.stream.xlsx.WorkbookWriter` is, in the pinned 4.4.0), on the first
 * spreadsheet asked for: 17 MB then, where the whole library would cost 29 MB from start.
 */
export function xlsxStream(table: ReportTable): Readable {
  const out = new PassThrough();
  void write(table, out).catch((err: unknown) => out.destroy(err as Error));
  return out;
}

async function write(table: ReportTable, out: PassThrough): Promise<void> {
  const { default: WorkbookWriter } = await import('exceljs/lib/stream/xlsx/workbook-writer.js');
  const book = new WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = book.addWorksheet(table.name);

  async function turn(): Promise<void> {
    await tick();
    const stream = (sheet as unknown as { stream: SheetStream }).stream;
    while (stream.pipes.length === 0 && stream.buffers.length > MAX_WAITING_BUFFERS && !out.destroyed) await tick();
    const deflate = stream.pipes[0];
    if (deflate) await drained(deflate, out);
    await drained(out, out);
  }

  sheet.addRow(table.columns).commit();
  let n = 0;
  for await (const row of table.rows) {
    sheet.addRow(row.map(safeCell)).commit();
    if (++n % ROWS_PER_TURN === 0) {
      await turn();
      if (out.destroyed) return;
    }
  }
  sheet.commit();
  await book.commit();
}
