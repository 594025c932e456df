// CSV (RFC 4180) of a report table, streamed in chunks of about 64 KiB.
import { Readable } from 'node:stream';
import { safeCsvCell, type Cell, type ReportTable } from './table.ts';

const CHUNK = 64 * 1024;

function field(c: Cell): string {
  const v = safeCsvCell(c);
  if (v === null) return '';
  const s = String(v);
  return /[",;\t\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

const line = (cells: Cell[]): string => cells.map(field).join(',') + '\r\n';

/**
 * The table as CSV text, produced as it is read: `Readable.from` pulls the next chunk only when
 * the reader wants more, and the generator pulls rows (sync or async) only to fill that chunk.
 */
export function csvStream(table: ReportTable): Readable {
  async function* chunks(): AsyncGenerator<string> {
    let buf = line(table.columns);
    for await (const row of table.rows) {
      buf += line(row);
      if (buf.length >= CHUNK) {
        yield buf;
        buf = '';
      }
    }
    if (buf) yield buf;
  }
  return Readable.from(chunks(), { objectMode: false });
}
