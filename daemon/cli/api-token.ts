// `outpost api-token create --user USERNAME …|list|revoke` (SPEC §11): through the control socket,
// a token for a named user, whose current rights bound it now and later.
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

interface ApiTokenView {
  id: string;
  name: string;
  roles: Array<{ role: string; virtualAccount: { id: string; path: string } | null }>;
  expiresAt: string;
  createdBy: string;
  lastUsedAt: string | null;
}

/** `sa-user,va-user@Default/Lab`: a role, or a role at a VA (its path or id). */
export function parseRoles(text: string): Array<{ role: string; virtualAccountId?: string }> {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const at = s.indexOf('@');
      return at < 0 ? { role: s } : { role: s.slice(0, at), virtualAccountId: s.slice(at + 1) };
    });
}

export const apiTokenCreate: Verb = {
  options: { user: { type: 'string' }, name: { type: 'string' }, roles: { type: 'string' }, days: { type: 'string' } },
  async run({ client, out, values }) {
    const { user, name, roles, days } = values;
    if (typeof user !== 'string' || typeof name !== 'string' || typeof roles !== 'string' || typeof days !== 'string') {
      throw new CliError('INVALID_REQUEST', 'usage: outpost api-token create --user USERNAME --name NAME --roles ROLE[@VA][,…] --days N');
    }
    if (!/^\d+$/.test(days)) throw new CliError('INVALID_REQUEST', '--days must be a whole number (1–365)');
    const t = await client.call<ApiTokenView & { token: string }>('POST', `/api/api-tokens?user=${encodeURIComponent(user)}`, {
      name,
      roles: parseRoles(roles),
      expiresInDays: Number(days),
    });
    out.result({ id: t.id, token: t.token, expiresAt: t.expiresAt }, (v) => v.token);
  },
};

export const apiTokenList: Verb = {
  async run({ client, out }) {
    const items: ApiTokenView[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: ApiTokenView[]; next: string | null } = await client.call('GET', `/api/api-tokens?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      items.push(...page.items);
      cursor = page.next;
    } while (cursor);
    out.result({ items }, (v) =>
      v.items.length === 0
        ? 'no API tokens'
        : v.items
            .map((t) => `${t.id}  ${t.createdBy}  ${t.roles.map((r) => (r.virtualAccount ? `${r.role}@${r.virtualAccount.path}` : r.role)).join(',')}  expires ${t.expiresAt}  last used ${t.lastUsedAt ?? 'never'}  ${t.name}`)
            .join('\n'),
    );
  },
};

export const apiTokenRevoke: Verb = {
  async run({ client, out, positionals }) {
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new CliError('INVALID_REQUEST', 'usage: outpost api-token revoke ID');
    await client.call('DELETE', `/api/api-tokens/${encodeURIComponent(id)}`);
    out.result({ id, revoked: true }, () => `revoked ${id}`);
  },
};
