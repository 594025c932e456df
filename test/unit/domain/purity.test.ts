// The domain is pure (docs/architecture.md): nothing reachable from daemon/domain/ — directly or
// through what it imports — loads storage, HTTP, logging, zip or spreadsheet packages, the file
// system, sockets or streams. Type-only imports load nothing and are allowed.
import t from 'tap';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOMAIN = path.join(ROOT, 'daemon', 'domain');
const FORBIDDEN =
  /^(?:level|classic-level|abstract-level|koa|@koa\/.*|undici|pino|exceljs|archiver|unzipper|esbuild|(?:node:)?(?:fs|fs\/promises|stream|stream\/promises|net|tls|dgram|http|https|http2|child_process))$/;
const IMPORT = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );

function resolve(from: string, spec: string): string | null {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, path.join(base, 'index.ts')]) if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

/** Each forbidden import reachable from the domain, as "file imports spec (reached from origin)". */
export function forbiddenImports(): { problems: string[]; reached: number } {
  const seen = new Set<string>();
  const queue = walk(DOMAIN).map((f) => [f, f] as const);
  const problems: string[] = [];
  while (queue.length > 0) {
    const [file, origin] = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    for (const m of text.matchAll(IMPORT)) {
      if (m[2]) continue; // import type … / export type …
      const spec = m[3] ?? m[4]!;
      if (spec.startsWith('.')) {
        const r = resolve(file, spec);
        if (r) queue.push([r, origin]);
      } else if (FORBIDDEN.test(spec)) {
        problems.push(`${path.relative(ROOT, file)} imports ${spec} (reached from ${path.relative(ROOT, origin)})`);
      }
    }
  }
  return { problems, reached: seen.size };
}

t.test('no module reachable from daemon/domain/ imports IO, storage or HTTP packages', async (t) => {
  const { problems, reached } = forbiddenImports();
  t.ok(reached > 50, `the walk reached the domain (${reached} files)`);
  t.same(problems, [], 'forbidden imports');
});

t.test('the guard itself sees a forbidden import', async (t) => {
  t.ok(FORBIDDEN.test('node:fs') && FORBIDDEN.test('level') && FORBIDDEN.test('@koa/router') && FORBIDDEN.test('stream/promises'));
  t.notOk(FORBIDDEN.test('node:crypto') || FORBIDDEN.test('zod') || FORBIDDEN.test('jose'));
  const sample = "import { z } from 'zod';\nimport type { Logger } from 'pino';\nimport { Level } from 'level';";
  const specs = [...sample.matchAll(IMPORT)].filter((m) => !m[2]).map((m) => m[3]);
  t.same(specs, ['zod', 'level'], 'type-only imports are passed over, value imports are seen');
});
