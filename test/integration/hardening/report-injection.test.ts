// Report files a spreadsheet can trust (SPEC §4, OWASP CSV injection): read back by real readers
// (Python's csv module, split on the file's separator and on the ones other locales use, and
// openpyxl), no device-supplied text becomes a formula, and the text is all still there.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSatellite } from '../../helpers/satellite.ts';
import { createToken, registerDevice } from '../../helpers/devices.ts';
import { socketCall } from '../../helpers/exchange.ts';
import { tempDir } from '../../helpers/tmp.ts';

const PYTHON = '/usr/bin/python3';
const READER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'read-report.py');

const HOSTNAMES = [
  '=cmd|" /C calc"!A0',
  ' =1+1',
  '   +SUM(A1:A9)',
  '\u00a0-2+3',
  '@SUM(1)',
  'sw-1;=HYPERLINK("http://x","y")',
  'sw-2,=1+2',
  'sw-3;  "=1+2',
  'sw-4|@A1',
  "sw-5;'=already-safe",
  'plain-host',
];

t.test('CSV and XLSX device reports carry hostile hostnames as text only', async (t) => {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install python3 and python3-openpyxl`);
  execFileSync(PYTHON, ['-c', 'import openpyxl']);
  const sat = await startSatellite(t);
  const { token } = await createToken(sat.socketPath, { maxUses: 50 });
  for (const [i, hostname] of HOSTNAMES.entries()) {
    const res = await registerDevice(sat.device, token, `INJ${i}`, { hostname });
    t.equal(res.status, 201, hostname);
  }
  await registerDevice(sat.device, token, '-INJ-SN', { hostname: 'sn-leads' });
  const dir = tempDir(t);
  for (const format of ['csv', 'xlsx']) {
    const res = await socketCall(sat.socketPath, 'GET', `/api/reports/devices?format=${format}`);
    t.equal(res.status, 200, format);
    const file = path.join(dir, `devices.${format}`);
    writeFileSync(file, res.body);
    const read = JSON.parse(execFileSync(PYTHON, [READER, file], { encoding: 'utf8' })) as { formulas: unknown[]; cells: string[] };
    t.same(read.formulas, [], `${format}: no cell reads as a formula`);
    for (const hostname of HOSTNAMES) {
      // The text survives: as it was, or behind a ' where it could start a formula.
      const cell = read.cells.find((c) => c.replace(/'/g, '') === hostname.replace(/'/g, ''));
      t.ok(cell, `${format}: ${JSON.stringify(hostname)} is in the file (${JSON.stringify(cell)})`);
    }
    t.ok(read.cells.includes('plain-host'), `${format}: harmless text is unchanged`);
    t.ok(read.cells.includes("'-INJ-SN"), `${format}: a serial starting with - is prefixed`);
  }
});
