// The operator's listing verbs against a real satellite through its control socket: licenses,
// devices, alerts, events and account, each as a readable table and as one JSON document, with
// --help on every verb and mistakes said in the option's own words, on one line.
import path from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/process.ts';
import { applyLines, deviceWithUsage, ensureVa, line } from '../helpers/licenses.ts';
import { startSatellite } from '../helpers/satellite.ts';

t.test('licenses, devices, alerts, events and account, as tables and --json', async (t) => {
  const sat = await startSatellite(t);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, OUTPOST_DATA_DIR: sat.dataDir };
  await ensureVa(sat, 'Default/Eng');
  await applyLines(sat, [line(sat.clock()), line(sat.clock(), { lineId: 'L-2', entitlement: 'dna-essentials', quantity: 4, virtualAccount: 'Default/Eng' })]);
  await deviceWithUsage(sat, 'Default', { 'network-advantage': 12 }, 'SN-LAB-1');
  await deviceWithUsage(sat, 'Default/Eng', { 'dna-essentials': 1 }, 'SN-ENG-7');

  const pools = JSON.parse((await runCli(['licenses', '--json'], env)).stdout);
  t.match(pools.items, [
    { virtualAccount: { path: 'Default' }, entitlement: 'network-advantage', purchased: 10, inUse: 12, status: 'insufficient' },
    { virtualAccount: { path: 'Default/Eng' }, entitlement: 'dna-essentials', purchased: 4, inUse: 1, available: 3, status: 'ok' },
  ]);
  const poolText = await runCli(['licenses'], env);
  t.equal(poolText.code, 0, poolText.stderr);
  const rows = poolText.stdout.trimEnd().split('\n');
  t.match(rows[0], /^VIRTUAL ACCOUNT\s+ENTITLEMENT\s+PURCHASED\s+RESERVED\s+IN USE\s+AVAILABLE\s+STATUS$/);
  t.match(rows[1], /^Default\s+network-advantage\s+10\s+0\s+12\s+-2\s+insufficient/);
  t.match(rows[2], /^Default\/Eng\s+dna-essentials\s+4\s+0\s+1\s+3\s+ok/);
  t.equal(rows[1]!.indexOf('network-advantage'), rows[0]!.indexOf('ENTITLEMENT'), 'columns line up');
  const eng = JSON.parse((await runCli(['licenses', '--va', 'Default/Eng', '--json'], env)).stdout);
  t.same(eng.items.map((p: any) => p.entitlement), ['dna-essentials'], '--va narrows to one VA');

  const all = JSON.parse((await runCli(['devices', '--json'], env)).stdout);
  t.equal(all.items.length, 2);
  const found = JSON.parse((await runCli(['devices', '--q', 'eng-7', '--json'], env)).stdout);
  t.same(found.items.map((d: any) => d.udi.sn), ['SN-ENG-7'], '--q finds by part of a serial');
  const inEng = await runCli(['devices', '--va', 'Default/Eng'], env);
  t.match(inEng.stdout, /^PID\s+SERIAL\s+HOSTNAME\s+VIRTUAL ACCOUNT\s+STATE\s+VIA\s+LAST REPORT\n\S+\s+SN-ENG-7\s+.*Default\/Eng\s+registered\s+token\s+2026-11-28 10:00Z\n$/);

  const alerts = JSON.parse((await runCli(['alerts', '--json'], env)).stdout);
  t.match(alerts.items, [{ type: 'insufficient', severity: String, virtualAccount: { path: 'Default' }, entitlement: 'network-advantage' }]);
  t.match((await runCli(['alerts'], env)).stdout, /^SEVERITY\s+TYPE\s+VIRTUAL ACCOUNT\s+ENTITLEMENT\s+SINCE\s+MESSAGE\n\w+\s+insufficient\s+Default\s+network-advantage\s/);

  const events = JSON.parse((await runCli(['events', '--since', '2026-11-28', '--type', 'device.*', '--json'], env)).stdout);
  t.equal(events.items.length, 2, 'two device registrations since the day began');
  t.ok(events.items.every((e: any) => e.type.startsWith('device.')));
  t.same((JSON.parse((await runCli(['events', '--since', '2026-11-29', '--json'], env)).stdout)).items, [], 'nothing after the test clock');
  t.equal(JSON.parse((await runCli(['events', '--limit', '3', '--json'], env)).stdout).items.length, 3);
  t.match((await runCli(['events', '--limit', '1'], env)).stdout, /^AT\s+ACTOR\s+TYPE\s+VIRTUAL ACCOUNT\s+DETAILS\n2026-11-28 10:00:00Z\s+\S+/);

  const account = await runCli(['account', '--json'], env);
  t.match(JSON.parse(account.stdout), { id: null, type: 'customer', registration: 'unregistered' });
  t.match((await runCli(['account'], env)).stdout, /registration\s+unregistered/);
});

t.test('--help on every verb, and mistakes in plain words on one line', async (t) => {
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, OUTPOST_DATA_DIR: path.join('/nonexistent', 'data') };
  const verbs = ['serve', 'status', 'account', 'licenses', 'devices', 'alerts', 'events', 'token', 'user', 'register', 'export', 'import', 'sync', 'backup'];
  for (const verb of verbs) {
    const help = await runCli([verb, '--help'], env);
    t.equal(help.code, 0, `${verb} --help`);
    t.match(help.stdout, new RegExp(`^usage: outpost ${verb}`), `${verb} --help starts with its usage`);
  }
  t.match((await runCli(['token', 'create', '--help'], env)).stdout, /--days 1 to 365/);
  const top = await runCli(['--help'], env);
  for (const verb of verbs) t.match(top.stdout, new RegExp(`\\n  ${verb}\\b`), `outpost --help names ${verb}`);

  const cases: Array<[string[], RegExp]> = [
    [['token', 'create', '--va', 'Default', '--days', '400'], /^outpost: --days must be 1 to 365\n$/],
    [['token', 'create', '--va', 'Default', '--uses', '0'], /^outpost: --uses must be 1 to 1000000\n$/],
    [['token', 'create', '--va', 'Default', '--dayz', '4'], /^outpost: outpost token create takes no option --dayz; see "outpost token --help"\n$/],
    [['devices', '--va'], /^outpost: --va needs a value; see "outpost devices --help"\n$/],
    [['devices', '--state', 'gone'], /^outpost: --state must be registered or deregistered\n$/],
    [['events', '--since', 'yesterday'], /^outpost: --since must be a date \(2026-12-01\), a time \(2026-12-01T08:00:00Z\) or how long ago \(30m, 24h, 7d\)\n$/],
    [['events', '--limit', 'many'], /^outpost: --limit must be 1 to 1000000\n$/],
    [['licenses'], /^outpost: Outpost is not running \(no control socket at \/nonexistent\/data\/outpost\.sock\)\.\n$/],
    [['nosuchverb'], /^outpost: unknown verb "nosuchverb"; see "outpost --help"\n$/],
  ];
  for (const [args, expected] of cases) {
    const r = await runCli(args, env);
    t.equal(r.code, 1, args.join(' '));
    t.match(r.stderr, expected, args.join(' '));
  }
  const json = await runCli(['token', 'create', '--va', 'Default', '--days', '0', '--json'], env);
  t.same(JSON.parse(json.stdout), { error: { code: 'INVALID_REQUEST', message: '--days must be 1 to 365' } });
});
