// The simulator's and the demo's command lines: --help prints the usage, and a mistake is one
// line naming it with a non-zero exit, never a stack trace.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const script = (name: string) => fileURLToPath(new URL(`../../scripts/${name}`, import.meta.url));

async function run(name: string, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', script(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const [code] = await once(child, 'exit');
  return { code: code as number, stdout, stderr };
}

t.test('npm run simulate: --help, and mistakes on one line', async (t) => {
  const help = await run('simulate-devices.ts', ['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: npm run simulate -- --url URL \(--token opt_… \| --policy\)/);
  const cases: Array<[string[], RegExp, number]> = [
    [[], /^simulate: name a --token \(from "outpost token create"\) or --policy \(see --help\)\n$/, 2],
    [['--tokn', 'x'], /^simulate: Unknown option '--tokn'[^\n]*\(see --help\)\n$/, 2],
    [['--token', 'x', '--url', 'localhost:8182'], /^simulate: --url must be the device listener's base URL, e\.g\. http:\/\/127\.0\.0\.1:8182 \(got "localhost:8182"\) \(see --help\)\n$/, 2],
    [['--token', 'x', '--devices', 'many'], /^simulate: --devices must be a whole number from 1 \(see --help\)\n$/, 2],
    [['--token', 'x', '--url', 'http://127.0.0.1:1', '--rounds', '1'], /^simulate: nothing listens at the --url given \(connection refused\)\n$/, 1],
  ];
  for (const [args, expected, code] of cases) {
    const r = await run('simulate-devices.ts', args);
    t.equal(r.code, code, args.join(' '));
    t.match(r.stderr, expected, args.join(' '));
  }
});

t.test('npm run demo: --help, and mistakes on one line', async (t) => {
  const help = await run('demo.ts', ['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: npm run demo \[-- --devices N\] \[--switches N\] \[--once\]\n/);
  const bad = await run('demo.ts', ['--devices', '0']);
  t.equal(bad.code, 2);
  t.equal(bad.stderr, 'demo: --devices must be 1 to 1000 (see --help)\n');
  const switches = await run('demo.ts', ['--switches', '51']);
  t.equal(switches.code, 2);
  t.equal(switches.stderr, 'demo: --switches must be 0 to 50 (see --help)\n');
  const unknown = await run('demo.ts', ['--nope']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /^demo: Unknown option '--nope'[^\n]*\(see --help\)\n$/);
});
