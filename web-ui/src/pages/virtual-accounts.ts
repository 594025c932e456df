// The virtual-account tree: create nested accounts, rename, set tags, delete when empty; and the
// tag keys VAs may use (sa-admin).
import { all, del, patch, post } from '../api.ts';
import { card } from '../components/card.ts';
import { confirmAction, openDialog } from '../components/dialog.ts';
import { field, form, input } from '../components/form.ts';
import { emptyState, toast } from '../components/notice.ts';
import { loadVas } from '../data.ts';
import { h, mount, type Child } from '../dom.ts';
import { InputError } from '../messages.ts';
import type { PageContext } from '../page.ts';
import type { VirtualAccount } from '../types.ts';

const MAX_DEPTH = 10;

export async function renderVirtualAccounts(ctx: PageContext): Promise<void> {
  const { session, signal } = ctx;
  const [vas, tagKeys] = await Promise.all([loadVas(signal), loadTagKeys(signal)]);
  const reload = () => ctx.navigate('virtual-accounts');

  const children = new Map<string | null, VirtualAccount[]>();
  for (const va of vas) {
    // A VA whose parent the user cannot see is a root of their view.
    const parent = va.parentId !== null && vas.some((v) => v.id === va.parentId) ? va.parentId : null;
    children.set(parent, [...(children.get(parent) ?? []), va]);
  }
  for (const list of children.values()) list.sort((a, b) => (a.name === 'Default' ? -1 : b.name === 'Default' ? 1 : a.name.localeCompare(b.name)));

  const node = (va: VirtualAccount): HTMLElement => {
    const depth = va.path.split('/').length;
    const kids = children.get(va.id) ?? [];
    const actions: Child[] = [];
    if (depth < MAX_DEPTH && session.canIn('va.create', va)) {
      actions.push(h('button', { type: 'button', class: 'small', 'data-write': 'true', onclick: () => createDialog(va, reload), 'aria-label': `Add an account inside ${va.path}` }, 'Add nested'));
    }
    if (session.canIn('va.write', va)) {
      if (va.parentId !== null || va.name !== 'Default') {
        actions.push(h('button', { type: 'button', class: 'small', 'data-write': 'true', onclick: () => renameDialog(va, reload), 'aria-label': `Rename ${va.path}` }, 'Rename'));
      }
      if (tagKeys.length) actions.push(h('button', { type: 'button', class: 'small', 'data-write': 'true', onclick: () => tagsDialog(va, tagKeys, reload), 'aria-label': `Tags of ${va.path}` }, 'Tags'));
    }
    if (session.canIn('va.delete', va) && !(va.parentId === null && va.name === 'Default')) {
      actions.push(
        h(
          'button',
          {
            type: 'button',
            class: 'small danger',
            'data-write': 'true',
            'aria-label': `Delete ${va.path}`,
            onclick: () =>
              void confirmAction({
                title: `Delete ${va.path}?`,
                text: 'Only an empty virtual account can be deleted: no devices, licenses, tokens or nested accounts.',
                confirm: 'Delete',
                danger: true,
                action: async () => {
                  await del(`/api/virtual-accounts/${encodeURIComponent(va.id)}`);
                  toast(`${va.path} was deleted.`);
                  reload();
                },
              }),
          },
          'Delete',
        ),
      );
    }
    const tags = Object.entries(va.tags ?? {});
    return h(
      'li',
      { 'data-va': va.path },
      h(
        'div',
        { class: 'va-node' },
        h('span', { class: 'va-name' }, va.name),
        h('span', { class: 'va-path muted' }, va.path),
        tags.length ? h('span', { class: 'tags' }, ...tags.map(([k, v]) => h('span', { class: 'tag' }, `${k}: ${v}`))) : null,
        h('span', { class: 'va-actions' }, ...actions),
      ),
      kids.length ? h('ul', null, ...kids.map(node)) : null,
    );
  };

  const roots = children.get(null) ?? [];
  const addTop = session.canAccount('va.create') ? h('button', { type: 'button', class: 'primary', 'data-write': 'true' }, 'New top-level account') : null;
  addTop?.addEventListener('click', () => createDialog(null, reload));
  mount(
    ctx.root,
    h('div', { class: 'toolbar' }, h('p', { class: 'muted' }, `${vas.length} virtual account${vas.length === 1 ? '' : 's'}; at most ${MAX_DEPTH} levels.`), addTop),
    roots.length ? h('ul', { class: 'va-tree', 'aria-label': 'Virtual accounts' }, ...roots.map(node)) : emptyState('You can see no virtual account.'),
    session.canAny('tags.write') ? tagKeysCard(tagKeys, reload) : null,
  );
}

async function loadTagKeys(signal: AbortSignal): Promise<string[]> {
  try {
    const items = await all<string | { key: string }>('/api/tags', {}, signal);
    return items.map((t) => (typeof t === 'string' ? t : t.key));
  } catch {
    return []; // without tag keys there is nothing to tag with; the card shows its own error
  }
}

function nameInput(value = ''): HTMLInputElement {
  const el = input({ name: 'name', required: true, maxlength: 64, value });
  const check = () => {
    const v = el.value.trim();
    el.setCustomValidity(v.includes('/') ? 'A name cannot contain "/".' : v === 'all' ? 'The name "all" is reserved.' : '');
  };
  el.addEventListener('input', check);
  return el;
}

function createDialog(parent: VirtualAccount | null, done: () => void): void {
  const name = nameInput();
  const dlg = openDialog(parent ? `New account inside ${parent.path}` : 'New top-level account', [
    form({
      label: 'New virtual account',
      submit: 'Create',
      fields: [field('Name', name, '1 to 64 characters, no "/".')],
      onSubmit: async () => {
        const va = await post<VirtualAccount>('/api/virtual-accounts', { name: name.value.trim(), parentId: parent?.id ?? null });
        dlg.close();
        toast(`${va.path} was created.`);
        done();
      },
    }),
  ]);
  name.focus();
}

function renameDialog(va: VirtualAccount, done: () => void): void {
  const name = nameInput(va.name);
  const dlg = openDialog(`Rename ${va.path}`, [
    form({
      label: 'Rename virtual account',
      submit: 'Rename',
      fields: [field('New name', name)],
      onSubmit: async () => {
        const updated = await patch<VirtualAccount>(`/api/virtual-accounts/${encodeURIComponent(va.id)}`, { name: name.value.trim() });
        dlg.close();
        toast(`Renamed to ${updated.path}.`);
        done();
      },
    }),
  ]);
  name.select();
}

function tagsDialog(va: VirtualAccount, keys: string[], done: () => void): void {
  const inputs = keys.map((k) => ({ key: k, el: input({ name: `tag-${k}`, maxlength: 256, value: va.tags?.[k] ?? '' }) }));
  const dlg = openDialog(`Tags of ${va.path}`, [
    form({
      label: 'Tags',
      submit: 'Save tags',
      fields: [h('p', { class: 'hint' }, 'Leave a value empty to remove that tag.'), ...inputs.map((i) => field(i.key, i.el))],
      onSubmit: async () => {
        const tags: Record<string, string> = {};
        for (const i of inputs) if (i.el.value.trim()) tags[i.key] = i.el.value.trim();
        await patch(`/api/virtual-accounts/${encodeURIComponent(va.id)}`, { tags });
        dlg.close();
        toast(`Tags of ${va.path} were saved.`);
        done();
      },
    }),
  ]);
}

function tagKeysCard(keys: string[], done: () => void): HTMLElement {
  const key = input({ name: 'key', required: true, maxlength: 64 });
  const list = keys.length
    ? h(
        'ul',
        { class: 'tag-keys' },
        ...keys.map((k) =>
          h(
            'li',
            null,
            h('span', { class: 'tag' }, k),
            ' ',
            h(
              'button',
              {
                type: 'button',
                class: 'small danger',
                'data-write': 'true',
                'aria-label': `Remove the tag key ${k}`,
                onclick: () =>
                  void confirmAction({
                    title: `Remove the tag key “${k}”?`,
                    text: 'Virtual accounts can no longer be tagged with it.',
                    confirm: 'Remove',
                    danger: true,
                    action: async () => {
                      await del(`/api/tags/${encodeURIComponent(k)}`);
                      done();
                    },
                  }),
              },
              'Remove',
            ),
          ),
        ),
      )
    : emptyState('No tag keys yet. Add one to tag virtual accounts (for example "site" or "cost-center").');
  return card(
    'Tag keys',
    list,
    form({
      label: 'Add a tag key',
      submit: 'Add tag key',
      fields: [field('New tag key', key)],
      onSubmit: async () => {
        const k = key.value.trim();
        if (!k) throw new InputError('Enter a key.');
        await post('/api/tags', { key: k });
        toast(`The tag key ${k} was added.`);
        done();
      },
    }),
  );
}
