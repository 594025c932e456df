// Debian's Chromium driven by playwright-core, with every request checked to stay on 127.0.0.1,
// console errors and HTTP errors collected, and screenshots saved. Outside CI a missing Chromium
// skips the browser tests loudly; under CI=true it fails them.
import { existsSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { tempDir } from '../tmp.ts';

export const CHROMIUM = process.env.OUTPOST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCREENSHOT_DIR = path.join(ROOT, 'test-output', 'screenshots');
/** The screenshots the README shows, copied from each run. */
export const DOC_SCREENSHOTS: Record<string, string> = {
  overview: path.join(ROOT, 'docs', 'screenshots', 'overview.png'),
  devices: path.join(ROOT, 'docs', 'screenshots', 'devices.png'),
  'licenses-1366': path.join(ROOT, 'docs', 'screenshots', 'licenses.png'),
  'device-1366': path.join(ROOT, 'docs', 'screenshots', 'device.png'),
  'sync-1366': path.join(ROOT, 'docs', 'screenshots', 'sync.png'),
  'overview-400': path.join(ROOT, 'docs', 'screenshots', 'overview-narrow.png'),
};

/** Prints a banner to stderr that a skipped or stubbed suite cannot hide in the tap output. */
export function loud(lines: string[]): void {
  const bar = '!'.repeat(78);
  process.stderr.write(`\n${bar}\n${lines.map((l) => `!!! ${l}`).join('\n')}\n${bar}\n\n`);
}

/**
 * True when Chromium is there. Missing: under CI=true the test fails; elsewhere it is skipped
 * with a loud warning (install it with `apt-get install -y chromium`).
 */
export function chromiumAvailable(t: Test): boolean {
  if (existsSync(CHROMIUM)) return true;
  const why = `Chromium is missing at ${CHROMIUM}: the dashboard's browser tests cannot run (apt-get install -y chromium)`;
  if (process.env.CI === 'true') {
    t.fail(`${why} — and CI=true requires them`);
  } else {
    loud([`SKIPPING BROWSER TESTS: ${why}.`, 'Under CI=true this is a failure.']);
    t.pass(why, { skip: why });
  }
  return false;
}

export interface BrowserSession {
  context: BrowserContext;
  page: Page;
  base: string;
  /** Requests that tried to leave 127.0.0.1 (they were aborted). */
  outside: string[];
  consoleErrors: string[];
  /** `STATUS METHOD /path` of every answer ≥ 400. */
  httpErrors: string[];
  downloadsDir: string;
  shot(name: string): Promise<string>;
  /** Asserts: nothing left 127.0.0.1, no console error, no HTTP error but the allowed ones. */
  assertClean(t: Test, allowHttp?: RegExp[]): void;
}

export async function openBrowser(t: Test, base: string, opts: { now?: Date } = {}): Promise<BrowserSession> {
  const context = await chromium.launchPersistentContext(tempDir(t, 'op-chrome-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1360, height: 900 },
    locale: 'en-US',
    timezoneId: 'UTC',
    serviceWorkers: 'block',
  });
  t.teardown(() => context.close());
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });

  const outside: string[] = [];
  const consoleErrors: string[] = [];
  const httpErrors: string[] = [];
  const local = (url: string) => {
    if (url.startsWith('data:') || url.startsWith('blob:') || url === 'about:blank') return true;
    try {
      return new URL(url).hostname === '127.0.0.1';
    } catch {
      return false;
    }
  };
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (local(url)) return route.continue();
    outside.push(url);
    return route.abort('blockedbyclient');
  });
  // Belt and braces: any request the route did not see is still recorded.
  context.on('request', (req) => {
    if (!local(req.url()) && !outside.includes(req.url())) outside.push(req.url());
  });
  context.on('response', (res) => {
    if (res.status() >= 400) httpErrors.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
  });

  const page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    // Chromium logs every 4xx/5xx answer as "Failed to load resource"; those are checked,
    // precisely, through httpErrors instead.
    if (msg.text().startsWith('Failed to load resource: the server responded with a status of')) return;
    consoleErrors.push(`${msg.text()} (${msg.location().url}:${msg.location().lineNumber})`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  if (opts.now) await page.clock.setFixedTime(opts.now);

  const downloadsDir = tempDir(t, 'op-dl-');
  return {
    context,
    page,
    base,
    outside,
    consoleErrors,
    httpErrors,
    downloadsDir,
    async shot(name) {
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      const file = path.join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
      // The README's pictures change only when asked (UPDATE_SCREENSHOTS=1), so a test run
      // leaves the tree clean.
      const doc = process.env.UPDATE_SCREENSHOTS === '1' ? DOC_SCREENSHOTS[name] : undefined;
      if (doc) {
        await mkdir(path.dirname(doc), { recursive: true });
        await copyFile(file, doc);
      }
      return file;
    },
    assertClean(tt, allowHttp = []) {
      tt.same(outside, [], 'no request left 127.0.0.1');
      tt.same(consoleErrors, [], 'no console errors');
      tt.same(
        httpErrors.filter((e) => !allowHttp.some((re) => re.test(e))),
        [],
        'no HTTP error answers but the expected ones',
      );
    },
  };
}
