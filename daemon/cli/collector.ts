// `outpost target add|list|remove|import`, `outpost collect` and `outpost rum export|import-ack`
// (SPEC §9): the collector's targets, polls on demand and Cisco's own files, through the control socket.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { saveBundle, requireOut } from './bundle-file.ts';
import { CliError } from './output.ts';
import { readPassword } from './password-input.ts';
import type { Verb } from './verbs.ts';

interface TargetView {
  id: string;
  address: string;
  username: string;
  virtualAccount: { id: string; path: string };
  lastPoll: null | { at: string; ok: boolean; reports: number; error: null | { code: string; message: string } };
  acks: { pending: number; delivered: number; lastError: string | null };
  reportsCollected: number;
  warnings: string[];
}

async function tlsOf(values: Record<string, string | boolean | undefined>) {
  return {
    verify: values.insecure !== true,
    ca: typeof values.ca === 'string' ? await readFile(values.ca, 'utf8') : null,
    pin: typeof values.pin === 'string' ? values.pin : null,
  };
}

export const targetAdd: Verb = {
  options: {
    username: { type: 'string' }, va: { type: 'string' }, 'password-file': { type: 'string' },
    ca: { type: 'string' }, pin: { type: 'string' }, insecure: { type: 'boolean' },
  },
  async run({ client, out, values, positionals }) {
    const usage = 'usage: outpost target add https://HOST[:PORT] --username U [--va PATH] [--password-file FILE] [--ca PEMFILE] [--pin SHA256] [--insecure]';
    if (positionals.length !== 1 || typeof values.username !== 'string') throw new CliError('INVALID_REQUEST', usage);
    const password = await readPassword({ file: values['password-file'] as string | undefined, prompt: `Password of ${values.username} on ${positionals[0]}` });
    const body = { address: positionals[0], username: values.username, password, ...(typeof values.va === 'string' ? { virtualAccount: values.va } : {}), tls: await tlsOf(values) };
    const t = await client.call<TargetView>('POST', '/api/collector/targets', body);
    out.result(t, (v) => [`target ${v.id} added: ${v.address} in ${v.virtualAccount.path}`, ...v.warnings.map((w) => `warning: ${w}`)].join('\n'));
  },
};

export const targetList: Verb = {
  async run({ client, out }) {
    const items: TargetView[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: TargetView[]; next: string | null } = await client.call('GET', `/api/collector/targets?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.next;
    } while (cursor);
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no targets'
        : v.items
            .map((t) => {
              const poll = !t.lastPoll ? 'never polled' : t.lastPoll.ok ? `polled ${t.lastPoll.at}: ${t.lastPoll.reports} new${t.lastPoll.error ? ` (${t.lastPoll.error.code})` : ''}` : `FAILED ${t.lastPoll.at}: ${t.lastPoll.error?.code}`;
              return `${t.id}  ${t.address}  ${t.virtualAccount.path}  ${poll}  reports ${t.reportsCollected}  acks ${t.acks.pending} pending/${t.acks.delivered} delivered`;
            })
            .join('\n'),
    );
  },
};

export const targetRemove: Verb = {
  async run({ client, out, positionals }) {
    if (positionals.length !== 1) throw new CliError('INVALID_REQUEST', 'usage: outpost target remove ID');
    await client.call('DELETE', `/api/collector/targets/${encodeURIComponent(positionals[0]!)}`);
    out.result({ removed: positionals[0] }, (v) => `target ${v.removed} removed`);
  },
};

/** Splits one CSV line (RFC 4180 quoting). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (out.push(cur), (cur = ''));
    else cur += ch;
  }
  out.push(cur);
  return out.map((f) => f.trim());
}

/**
 * `outpost target import FILE.csv`: one target per line under a header naming the columns
 * address, username, password and optionally va, ca (a PEM file path), pin, verify (true/false).
 * Each line is added on its own; the result says which were refused and why.
 */
export const targetImport: Verb = {
  async run({ client, out, positionals }) {
    if (positionals.length !== 1) throw new CliError('INVALID_REQUEST', 'usage: outpost target import FILE.csv');
    const lines = (await readFile(positionals[0]!, 'utf8')).split(/\r?\n/).filter((l) => l.trim() && !l.startsWith('#'));
    const header = csvFields(lines.shift() ?? '').map((h) => h.toLowerCase());
    for (const need of ['address', 'username', 'password']) if (!header.includes(need)) throw new CliError('INVALID_REQUEST', `the CSV header must name the column "${need}"`);
    const added: Array<{ line: number; id: string; address: string }> = [];
    const refused: Array<{ line: number; address: string; code: string; message: string }> = [];
    for (const [i, l] of lines.entries()) {
      const f = Object.fromEntries(csvFields(l).map((v, j) => [header[j] ?? `col${j}`, v]));
      const body = {
        address: f.address, username: f.username, password: f.password, ...(f.va ? { virtualAccount: f.va } : {}),
        tls: { verify: (f.verify ?? 'true').toLowerCase() !== 'false', ca: f.ca ? await readFile(f.ca, 'utf8') : null, pin: f.pin || null },
      };
      try {
        const t = await client.call<TargetView>('POST', '/api/collector/targets', body);
        added.push({ line: i + 2, id: t.id, address: t.address });
      } catch (e) {
        const err = e as { code?: string; message?: string };
        refused.push({ line: i + 2, address: String(f.address ?? ''), code: err.code ?? 'ERROR', message: err.message ?? String(e) });
      }
    }
    out.result({ added, refused }, (v) =>
      [`${v.added.length} target(s) added, ${v.refused.length} refused`, ...v.refused.map((r) => `line ${r.line} (${r.address}): ${r.code} ${r.message}`)].join('\n'),
    );
  },
};

export const collect: Verb = {
  options: { target: { type: 'string', multiple: true } },
  async run({ client, out, values }) {
    const ids = values.target as unknown as string[] | undefined;
    const r = await client.call<{ started: number }>('POST', '/api/collector/poll', ids?.length ? { targets: ids } : {});
    out.result(r, (v) => `${v.started} poll(s) started; \`outpost target list\` shows their results`);
  },
};

export const rumExport: Verb = {
  options: { out: { type: 'string' } },
  async run({ client, out, values }) {
    const target = requireOut(values, 'usage: outpost rum export --out FILE');
    const { headers, body } = await client.download('POST', '/api/collector/rum/export');
    const file = await saveBundle(body, target);
    const result = { file, export: Number(headers['x-outpost-rum-export']), reports: Number(headers['x-outpost-records']) };
    out.result(result, (v) => `RUM export ${v.export} written to ${v.file} (${v.reports} report(s)); upload it to Cisco, then \`outpost rum import-ack\` the acknowledgement`);
  },
};

export const rumImportAck: Verb = {
  options: { export: { type: 'string' } },
  async run({ client, out, values, positionals }) {
    if (positionals.length !== 1) throw new CliError('INVALID_REQUEST', 'usage: outpost rum import-ack FILE [--export N]');
    const n = values.export;
    if (n !== undefined && (typeof n !== 'string' || !/^[1-9]\d{0,15}$/.test(n))) throw new CliError('INVALID_REQUEST', '--export must be an export number');
    const file = positionals[0]!;
    const { size } = await stat(file);
    const r = await client.upload<{ export: number; documents: number; queued: number; acknowledged: number }>(
      `/api/collector/rum/import-ack${n ? `?export=${n}` : ''}`, 'application/octet-stream', createReadStream(file), size,
    );
    out.result(r, (v) => `${v.documents} document(s) for export ${v.export}: ${v.acknowledged} report(s) acknowledged, ${v.queued} delivery(ies) queued to products`);
  },
};
