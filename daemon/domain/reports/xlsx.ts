// XLSX of a report table through exceljs's streaming writer: rows are committed as they are
// produced and the zip is written to the answer as it grows, waiting whenever the reader is
// slower, so memory stays flat however many rows there are.
import { PassThrough, type Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { safeCell, type ReportTable } from './table.ts';

/** Rows committed between two checks of the output's backpressure. */
const ROWS_PER_TURN = 500;

export function xlsxStream(table: ReportTable): Readable {
  const out = new PassThrough();
  const book = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: false, useSharedStrings: false });
  const sheet = book.addWorksheet(table.name);

  const turn = () =>
    new Promise<void>((resolve) => {
      // Let the zip compress what was committed, then wait while the reader is behind.
      setImmediate(() => {
        if (!out.writableNeedDrain || out.destroyed) return resolve();
        const done = () => {
          out.off('drain', done);
          out.off('close', done);
          resolve();
        };
        out.once('drain', done);
        out.once('close', done);
      });
    });

  void (async () => {
    sheet.addRow(table.columns).commit();
    let n = 0;
    for (const row of table.rows) {
      sheet.addRow(row.map(safeCell)).commit();
      if (++n % ROWS_PER_TURN === 0) {
        await turn();
        if (out.destroyed) return;
      }
    }
    sheet.commit();
    await book.commit();
  })().catch((err: unknown) => out.destroy(err as Error));
  return out;
}
