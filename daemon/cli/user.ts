// `outpost user add|list|passwd`: users through the control socket (full rights). A password
// set here must be changed by its owner at first login.
import { CliError } from './output.ts';
import { readPassword } from './password-input.ts';
import type { ControlClient } from './client.ts';
import type { Verb } from './verbs.ts';

interface UserView {
  id: string;
  username: string;
  roles: Array<{ role: string; virtualAccount: { id: string; path: string } | null }>;
  mustChangePassword: boolean;
  createdAt: string;
}

const rolesText = (u: UserView) => u.roles.map((g) => (g.virtualAccount ? `${g.role}@${g.virtualAccount.path}` : g.role)).join(', ');

async function allUsers(client: ControlClient): Promise<UserView[]> {
  const items: UserView[] = [];
  let cursor: string | null = null;
  do {
    const page: { items: UserView[]; next: string | null } = await client.call('GET', `/api/users?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return items;
}

const one = (positionals: string[], usage: string): string => {
  if (positionals.length !== 1 || !positionals[0]) throw new CliError('INVALID_REQUEST', `usage: outpost ${usage}`);
  return positionals[0];
};

export const userAdd: Verb = {
  options: { role: { type: 'string' }, va: { type: 'string' }, 'password-file': { type: 'string' } },
  async run({ client, out, values, positionals }) {
    const username = one(positionals, 'user add USERNAME --role ROLE [--va PATH] [--password-file FILE]');
    if (typeof values.role !== 'string') throw new CliError('INVALID_REQUEST', 'user add needs --role ROLE (sa-admin, sa-approver, sa-user, va-admin, va-user or viewer)');
    const password = await readPassword({ file: values['password-file'] as string | undefined, prompt: `Password for ${username}` });
    const grant: Record<string, string> = { role: values.role };
    if (typeof values.va === 'string') grant.virtualAccountId = values.va;
    const u = await client.call<UserView>('POST', '/api/users', { username, password, roles: [grant] });
    out.result(u, (v) => `added ${v.username} (${v.id}) as ${rolesText(v)}; the password must be changed at first login`);
  },
};

export const userList: Verb = {
  async run({ client, out }) {
    const items = await allUsers(client);
    out.result({ items }, (v) =>
      v.items.map((u) => `${u.username}  ${rolesText(u)}${u.mustChangePassword ? '  (must change password)' : ''}`).join('\n'),
    );
  },
};

export const userPasswd: Verb = {
  options: { 'password-file': { type: 'string' } },
  async run({ client, out, values, positionals }) {
    const username = one(positionals, 'user passwd USERNAME [--password-file FILE]');
    const user = (await allUsers(client)).find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (!user) throw new CliError('NOT_FOUND', `No user ${JSON.stringify(username)}.`);
    const password = await readPassword({ file: values['password-file'] as string | undefined, prompt: `New password for ${user.username}` });
    const u = await client.call<UserView>('POST', `/api/users/${encodeURIComponent(user.id)}/password`, { newPassword: password });
    out.result(u, (v) => `set the password of ${v.username}; it must be changed at next login`);
  },
};

/** `outpost user set USERNAME [--email ADDRESS|none] [--alerts off|critical|warning|info] [--summary on|off]` (SPEC §10). */
export const userSet: Verb = {
  options: { email: { type: 'string' }, alerts: { type: 'string' }, summary: { type: 'string' } },
  async run({ client, out, values, positionals }) {
    const usage = 'user set USERNAME [--email ADDRESS|none] [--alerts off|critical|warning|info] [--summary on|off]';
    const username = one(positionals, usage);
    const body: { email?: string | null; notifications?: { alerts?: string; summary?: boolean } } = {};
    if (typeof values.email === 'string') body.email = values.email === 'none' ? null : values.email;
    if (typeof values.alerts === 'string') body.notifications = { ...body.notifications, alerts: values.alerts };
    if (typeof values.summary === 'string') {
      if (values.summary !== 'on' && values.summary !== 'off') throw new CliError('INVALID_REQUEST', '--summary takes on or off');
      body.notifications = { ...body.notifications, summary: values.summary === 'on' };
    }
    if (Object.keys(body).length === 0) throw new CliError('INVALID_REQUEST', `usage: outpost ${usage}`);
    const user = (await allUsers(client)).find((u) => u.username.toLowerCase() === username.toLowerCase());
    if (!user) throw new CliError('NOT_FOUND', `No user ${JSON.stringify(username)}.`);
    const u = await client.call<UserView & { email: string | null; notifications: { alerts: string; summary: boolean } }>('PATCH', `/api/users/${encodeURIComponent(user.id)}`, body);
    out.result(u, (v) => `${v.username}: email ${v.email ?? 'none'}, alerts ${v.notifications.alerts}, summary ${v.notifications.summary ? 'on' : 'off'}`);
  },
};
