// A user's sessions (SPEC §11), in a dialog: where and when each was started and last used, and
// "Sign out everywhere", which ends them all (one's own included: the login page comes back).
import { del, get } from '../api.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { toast } from '../components/notice.ts';
import { table } from '../components/table.ts';
import { h } from '../dom.ts';
import { relative, when } from '../format.ts';
import type { Page, SessionView } from '../types.ts';

export async function sessionsDialog(user: { id: string; username: string }, opts: { self: boolean; onEnded?: () => void }): Promise<void> {
  const sessions = await get<Page<SessionView>>(`/api/users/${encodeURIComponent(user.id)}/sessions`);
  const end = h('button', { type: 'button', class: 'danger', 'data-write': 'true', 'data-testid': 'sign-out-everywhere' }, 'Sign out everywhere');
  const close = h('button', { type: 'button' }, 'Close');
  const dlg = openDialog(opts.self ? 'Your sessions' : `Sessions of ${user.username}`, [
    table<SessionView>({
      caption: 'Sessions',
      empty: 'No live sessions.',
      rows: sessions.items,
      rowKey: (s) => s.id,
      columns: [
        { label: 'Started', cell: (s) => h('span', { title: when(s.createdAt) }, relative(s.createdAt)) },
        { label: 'Last used', cell: (s) => h('span', { title: when(s.lastSeenAt) }, relative(s.lastSeenAt)) },
        { label: 'From', cell: (s) => s.address || h('span', { class: 'muted' }, '—') },
        { label: 'Browser', cell: (s) => h('span', { class: 'muted', title: s.agent }, s.agent.slice(0, 60)) },
        { label: '', cell: (s) => (s.current ? h('strong', null, 'this one') : null) },
      ],
    }),
    h('div', { class: 'actions' }, end, close),
  ]);
  close.addEventListener('click', () => dlg.close());
  end.addEventListener('click', () =>
    void confirmAction({
      title: 'Sign out everywhere?',
      text: opts.self ? 'Every session of yours ends, this one too.' : `Every session of ${user.username} ends.`,
      confirm: 'Sign out everywhere',
      danger: true,
      action: async () => {
        await del(`/api/users/${encodeURIComponent(user.id)}/sessions`);
        dlg.close();
        toast('The sessions were ended.');
        opts.onEnded?.();
      },
    }),
  );
}
