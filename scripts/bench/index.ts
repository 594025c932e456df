// `npm run bench -- <case> [options]`: runs one benchmark case from scripts/bench/<case>.ts.
// Each case prints its figures and a ratio against a baseline measured in the same run.
import { readdirSync } from 'node:fs';

const name = process.argv[2];
const cases = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !['index.ts', 'lib.ts'].includes(f))
  .map((f) => f.slice(0, -3));
if (!name || !cases.includes(name)) {
  console.error(`usage: npm run bench -- <case> [options]\ncases: ${cases.join(', ')}`);
  process.exit(2);
}
const mod = (await import(`./${name}.ts`)) as { default: (args: string[]) => Promise<void> };
await mod.default(process.argv.slice(3));
