import t from 'tap';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import ExcelJS from 'exceljs';
import unzipper from 'unzipper';
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

/** Rows from an async source, as the devices report reads the store: counts what was produced and whether it was closed. */
const asyncTable = (n: number, seen = { rows: 0, closed: false }): ReportTable => ({
  name: 'devices',
  columns: ['id', 'hostname'],
  rows: (async function* () {
    try {
      for (let i = 0; i < n; i++) {
        if (i % 1000 === 0) await new Promise((r) => setImmediate(r)); // a store round trip
        seen.rows++;
        yield [`dev_${i}`, i % 2 ? `@cmd ${i}` : `sw-${i}`] as Cell[];
      }
    } finally {
      seen.closed = true;
    }
  })(),
});

t.test('async rows: CSV and XLSX pull them only as fast as a slow reader reads, and stay formula-safe', async (t) => {
  for (const format of ['csv', 'xlsx'] as const) {
    const seen = { rows: 0, closed: false };
    const stream = format === 'csv' ? csvStream(asyncTable(200_000, seen)) : xlsxStream(asyncTable(200_000, seen));
    // Read a little, then stop reading for a while: production must stop too.
    let bytes = 0;
    await new Promise<void>((resolve) => {
      const onData = (c: Buffer) => {
        bytes += c.length;
        if (bytes > 64 * 1024) {
          stream.off('data', onData);
          stream.pause();
          resolve();
        }
      };
      stream.on('data', onData);
    });
    // Production stops once the buffers between it and the paused reader are full (on a busy
    // machine that can take a while: wait until two looks 300 ms apart agree, up to 15 s).
    let held = -1;
    for (let i = 0; i < 50 && held !== seen.rows; i++) {
      held = seen.rows;
      await new Promise((r) => setTimeout(r, 300));
    }
    t.equal(seen.rows, held, `${format}: no rows produced while the reader waits`);
    t.ok(held < 50_000, `${format}: ${held} of 200,000 rows produced ahead of a reader that took ${bytes} bytes`);
    stream.destroy();
    await new Promise((r) => setTimeout(r, 100));
    t.ok(seen.closed, `${format}: the row source is closed when the reader goes away`);
  }
  const text = (await collect(csvStream(asyncTable(3)))).toString('utf8');
  t.equal(text, "id,hostname\r\ndev_0,sw-0\r\ndev_1,'@cmd 1\r\ndev_2,sw-2\r\n");
  const book = new ExcelJS.Workbook();
  await book.xlsx.load((await collect(xlsxStream(asyncTable(2500)), 1)) as never);
  const sheet = book.worksheets[0]!;
  t.equal(sheet.rowCount, 2501);
  t.same((sheet.getRow(2501).values as unknown[]).slice(1), ['dev_2499', "'@cmd 2499"]);
});

t.test('XLSX carries any text as plain text: markup, entities, CR, controls, unicode; numbers as numbers, null as an empty cell', async (t) => {
  const odd = ['<b>&amp;</b> "q" \'s\'', 'line\r\nnext', 'nul\u0000bell\u0007', '  lead and trail  ', 'ünï ☃ 𝄞', ']]>', '_x0041_'];
  const source: ReportTable = {
    name: 'devices',
    columns: ['text', 'n', 'empty', 'last'],
    rows: odd.map((s, i) => [s, i === 0 ? 1.5 : -i, null, 'end'] as Cell[]),
  };
  const buf = await collect(xlsxStream(source));
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(buf as never);
  const sheet = book.worksheets[0]!;
  t.equal(sheet.name, 'devices');
  t.same((sheet.getRow(1).values as unknown[]).slice(1), ['text', 'n', 'empty', 'last']);
  const expected = ['<b>&amp;</b> "q" \'s\'', 'line\r\nnext', 'nul\ufffdbell\ufffd', '  lead and trail  ', 'ünï ☃ 𝄞', ']]>'];
  expected.forEach((s, i) => {
    const row = sheet.getRow(i + 2);
    t.equal(row.getCell(1).value, s, `row ${i + 2} text`);
    t.equal(row.getCell(2).value, i === 0 ? 1.5 : -i, `row ${i + 2} number`);
    t.equal(row.getCell(3).value, null, `row ${i + 2} empty`);
    t.equal(row.getCell(4).value, 'end', `row ${i + 2} last cell in its column`);
  });
  t.equal(sheet.views[0]?.state, 'frozen', 'the header row stays in view');
  // exceljs does not decode SpreadsheetML's `_xHHHH_` escape; Excel does, so the sheet's XML must carry it escaped.
  const zip = await unzipper.Open.buffer(buf);
  const xml = (await zip.files.find((f) => f.path === 'xl/worksheets/sheet1.xml')!.buffer()).toString('utf8');
  t.match(xml, '<t xml:space="preserve">_x005F_x0041_</t>', 'text that looks like an escape is escaped');
  t.match(xml, 'line&#13;\nnext', 'CR kept as a reference');
});

t.test('XLSX fails, rather than ends as a whole file, when its rows fail', async (t) => {
  const source: ReportTable = {
    name: 'devices',
    columns: ['id'],
    rows: (async function* () {
      for (let i = 0; i < 5000; i++) yield [`dev_${i}`] as Cell[];
      throw new Error('store read failed');
    })(),
  };
  await t.rejects(collect(xlsxStream(source)), /store read failed/);
});
