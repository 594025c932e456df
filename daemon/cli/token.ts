import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

interface TokenView {
  id: string;
  virtualAccount: { id: string; path: string };
  description: string;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  revoked: boolean;
}

/** A whole number in [1, max], or the line saying so in the option's own name (not the API field's). */
const int = (name: string, v: unknown, max: number): number | undefined => {
  if (v === undefined) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= max)) throw new CliError('INVALID_REQUEST', `--${name} must be 1 to ${max}`);
  return n;
};

export const tokenCreate: Verb = {
  options: { va: { type: 'string' }, days: { type: 'string' }, uses: { type: 'string' }, description: { type: 'string' } },
  async run({ client, out, values }) {
    if (typeof values.va !== 'string') throw new CliError('INVALID_REQUEST', 'token create needs --va PATH');
    const body: Record<string, unknown> = { virtualAccountId: values.va };
    const days = int('days', values.days, 365);
    const uses = int('uses', values.uses, 1_000_000);
    if (days !== undefined) body.validDays = days;
    if (uses !== undefined) body.maxUses = uses;
    if (typeof values.description === 'string') body.description = values.description;
    const t = await client.call<TokenView & { token: string }>('POST', '/api/tokens', body);
    out.result({ id: t.id, token: t.token, expiresAt: t.expiresAt }, (v) => v.token);
  },
};

export const tokenList: Verb = {
  async run({ client, out }) {
    const items: TokenView[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: TokenView[]; next: string | null } = await client.call(
        'GET',
        `/api/tokens?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...page.items);
      cursor = page.next;
    } while (cursor);
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no tokens'
        : v.items
            .map((t) => `${t.id}  ${t.virtualAccount.path}  uses ${t.uses}/${t.maxUses ?? '∞'}  expires ${t.expiresAt}${t.revoked ? '  REVOKED' : ''}  ${t.description}`)
            .join('\n'),
    );
  },
};

export const tokenRevoke: Verb = {
  async run({ client, out, positionals }) {
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new CliError('INVALID_REQUEST', 'usage: outpost token revoke ID');
    const t = await client.call<TokenView>('DELETE', `/api/tokens/${encodeURIComponent(id)}`);
    out.result(t, (v) => `revoked ${v.id}`);
  },
};
