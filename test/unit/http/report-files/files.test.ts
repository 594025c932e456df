import t from 'tap';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import { csvStream, safeCell, xlsxStream, type Cell, type ReportTable } from '../../../../daemon/http/report-files/index.ts';

const table = (n: number, produced = { rows: 0 }): ReportTable => ({
  name: 'devices',
  columns: ['id', 'hostname', 'count'],
  rows: (function* () {
    for (let i = 0; i < n; i++) {
      produced.rows++;
      yield [`dev_${i}`, i % 2 ? `=cmd|${i}` : `sw-${i}, "core"`, i - 5] as Cell[];
    }
  })(),
});

async function collect(stream: NodeJS.ReadableStream, delayMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(
    stream,
    new Writable({
      highWaterMark: 1024,
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        if (delayMs) setTimeout(cb, delayMs);
        else cb();
      },
    }),
  );
  return Buffer.concat(chunks);
}

t.test('safeCell prefixes text that a spreadsheet would run as a formula, and only text', async (t) => {
  t.same(['=1+1', '+1', '-1', '@A1', '\tx', 'plain', 'a=b', '', null, -5, 3].map((c) => safeCell(c as Cell)), ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", 'plain', 'a=b', '', null, -5, 3]);
});

t.test('CSV quotes what needs quoting and escapes formulas', async (t) => {
  const text = (await collect(csvStream(table(2)))).toString('utf8');
  t.equal(text, 'id,hostname,count\r\ndev_0,"sw-0, ""core""",-5\r\ndev_1,\'=cmd|1,-4\r\n');
});

t.test('XLSX streams to a slow reader and reads back whole', async (t) => {
  const buf = await collect(xlsxStream(table(3000)), 1);
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(buf as never);
  const sheet = book.worksheets[0]!;
  t.equal(sheet.name, 'devices');
  t.equal(sheet.rowCount, 3001);
  t.same((sheet.getRow(3).values as unknown[]).slice(1), ["dev_1", "'=cmd|1", -4]);
  t.same((sheet.getRow(3001).values as unknown[]).slice(1), ['dev_2999', "'=cmd|2999", 2994]);
});

t.test('XLSX stops producing rows when its reader goes away', async (t) => {
  const produced = { rows: 0 };
  const out = xlsxStream(table(1_000_000, produced));
  await new Promise<void>((resolve) => out.once('data', () => resolve()));
  out.destroy();
  await new Promise((r) => setTimeout(r, 200));
  const seen = produced.rows;
  await new Promise((r) => setTimeout(r, 200));
  t.equal(produced.rows, seen, 'no more rows after the reader left');
  t.ok(seen < 1_000_000);
});

t.test('safeCell looks past leading whitespace; safeCsvCell also defuses a formula after a separator', async (t) => {
  const { safeCsvCell } = await import('../../../../daemon/http/report-files/index.ts');
  t.same([' =1', '\u00a0+1', '  @x', '\rx', 'a b'].map((c) => safeCell(c)), ["' =1", "'\u00a0+1", "'  @x", "'\rx", 'a b']);
  t.same(['a;=1', 'a,-1', 'a|@x', 'a; "=1', "a;'=1", 'a-b', 'a;b'].map((c) => safeCsvCell(c)), ["a;'=1", "a,'-1", "a|'@x", 'a; "\'=1', "a;'=1", 'a-b', 'a;b']);
});
