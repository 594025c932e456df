// Report files (licenses, subscriptions, devices) as CSV and XLSX: content, formula-safe cells,
// headers; read back with exceljs.
import t from 'tap';
import ExcelJS from 'exceljs';
import { Agent, request } from 'undici';
import { createToken, registerDevice } from '../helpers/devices.ts';
import { DAY, applyLines, deviceWithUsage, ensureVa, line } from '../helpers/licenses.ts';
import { startSatellite, type TestSatellite } from '../helpers/satellite.ts';

async function download(sat: TestSatellite, path: string) {
  const agent = new Agent({ connect: { socketPath: sat.socketPath } });
  try {
    const res = await request(`http://localhost${path}`, { dispatcher: agent });
    return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
  } finally {
    await agent.close();
  }
}

/** RFC 4180 rows (enough for the test: quoted fields with commas and doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') row.push(field), rows.push(row), (row = []), (field = ''), i++;
    else field += ch;
  }
  return rows;
}

async function readXlsx(buf: Buffer): Promise<unknown[][]> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(buf as never);
  const rows: unknown[][] = [];
  book.worksheets[0]!.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
  return rows;
}

t.test('report files hold what the satellite holds, with formula-like text made inert', async (t) => {
  const sat = await startSatellite(t);
  await ensureVa(sat, 'Default/Eng');
  const now = sat.clock();
  await applyLines(sat, [
    line(now, { lineId: 'L-1', quantity: 10, endsAt: new Date(now.getTime() + 40 * DAY).toISOString() }),
    line(now, { lineId: 'L-2', quantity: 5, entitlement: 'dna-advantage', type: 'subscription', description: 'DNA, "monthly", billed', virtualAccount: 'Default/Eng', endsAt: new Date(now.getTime() + 10.5 * DAY).toISOString() }),
    line(now, { lineId: 'L-3', quantity: 5, type: 'perpetual', endsAt: null }),
  ]);
  const { token } = await createToken(sat.socketPath, { virtualAccountId: 'Default' });
  for (const [sn, hostname] of [['S1', '=HYPERLINK("http://evil")'], ['S2', '+1+1'], ['S3', '-2'], ['S4', '@SUM(A1)'], ['S5', 'plain, with comma']]) {
    t.equal((await registerDevice(sat.device, token, sn!, { hostname })).status, 201);
  }
  await deviceWithUsage(sat, 'Default/Eng', { 'dna-advantage': 7, 'network-advantage': 1 }, 'ENG1');

  const devices = await download(sat, '/api/reports/devices?format=csv');
  t.equal(devices.status, 200);
  t.match(devices.headers['content-type'], /^text\/csv/);
  t.match(devices.headers['content-disposition'], /attachment; filename="outpost-devices-2026-11-28\.csv"/);
  const rows = parseCsv(devices.body.toString('utf8'));
  t.same(rows[0], ['Device id', 'PID', 'Serial', 'Hostname', 'Virtual account', 'Virtual account id', 'State', 'Via', 'Registered at', 'Last report at', 'Usage']);
  const hostnames = Object.fromEntries(rows.slice(1).map((r) => [r[2], r[3]]));
  t.same(hostnames, {
    S1: `'=HYPERLINK("http://evil")`,
    S2: "'+1+1",
    S3: "'-2",
    S4: "'@SUM(A1)",
    S5: 'plain, with comma',
    ENG1: 'sw-ENG1',
  });
  t.same(rows.find((r) => r[2] === 'ENG1')!.slice(4), ['Default/Eng', sat.ctx.state.vaByPath('Default/Eng')!.id, 'registered', 'token', now.toISOString(), now.toISOString(), 'dna-advantage=7; network-advantage=1']);

  const xlsx = await download(sat, '/api/reports/devices?format=xlsx');
  t.equal(xlsx.status, 200);
  t.equal(xlsx.headers['content-type'], 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const sheet = await readXlsx(xlsx.body);
  t.equal(sheet.length, 7, 'a header and six devices');
  t.same(Object.fromEntries(sheet.slice(1).map((r) => [r[2], r[3]])), hostnames, 'the same cells in the XLSX');

  const licenses = parseCsv((await download(sat, '/api/reports/licenses')).body.toString('utf8'));
  t.same(licenses, [
    ['Virtual account', 'Virtual account id', 'Entitlement', 'Purchased', 'Reserved', 'In use', 'Available', 'Status', 'Flags'],
    ['Default', sat.ctx.state.defaultVa.id, 'network-advantage', '15', '0', '0', '15', 'ok', 'expiring'],
    ['Default/Eng', sat.ctx.state.vaByPath('Default/Eng')!.id, 'dna-advantage', '5', '0', '7', '-2', 'insufficient', 'expiring'],
    ['Default/Eng', sat.ctx.state.vaByPath('Default/Eng')!.id, 'network-advantage', '0', '0', '1', '-1', 'insufficient', 'expired'],
  ], 'numbers stay numbers (a negative available is not text)');

  const subs = parseCsv((await download(sat, '/api/reports/subscriptions?format=csv')).body.toString('utf8'));
  t.same(subs.map((r) => [r[2], r[6], r[7], r[10], r[11]]), [
    ['Line', 'Type', 'Quantity', 'Days left', 'Status'],
    ['L-2', 'subscription', '5', '10', 'active'],
    ['L-1', 'term', '10', '40', 'active'],
  ], 'term and subscription lines, soonest end first; perpetual ones are left out');
  t.equal(subs[1]![5], 'DNA, "monthly", billed');

  const subsXlsx = await readXlsx((await download(sat, '/api/reports/subscriptions?format=xlsx')).body);
  t.same(subsXlsx[1]!.slice(7, 12), [5, new Date(now.getTime() - 30 * DAY).toISOString(), new Date(now.getTime() + 10.5 * DAY).toISOString(), 10, 'active']);

  t.equal((await download(sat, '/api/reports/nothing')).status, 404);
  t.equal((await download(sat, '/api/reports/devices?format=pdf')).status, 400);
});
