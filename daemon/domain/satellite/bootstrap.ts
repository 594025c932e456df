// First start: the satellite record, the account, the Default VA and the initial admin.
import os from 'node:os';
import { keys } from '../../store/index.ts';
import type { DomainContext } from './context.ts';
import { recordEvent } from './events.ts';
import { newId } from './ids.ts';
import { hashPassword, randomPassword } from '../access/passwords.ts';
import type { AccountRecord, SatelliteRecord, UserRecord, VirtualAccount } from './records.ts';

/**
 * Makes what a first start needs. The initial admin's password goes to `savePassword` (a file
 * the composition root owns), which answers where it went; that is returned.
 */
export async function bootstrap(ctx: DomainContext, savePassword: (password: string) => Promise<string>): Promise<{ initialPasswordFile: string | null }> {
  const { state, config, identity } = ctx;
  const now = ctx.clock();
  if (!state.satellite || !state.account || state.vas.size === 0) {
    await ctx.writer.run((tx) => {
      const satellite: SatelliteRecord = state.satellite ?? {
        id: identity.id,
        name: config.name ?? os.hostname(),
        createdAt: now.toISOString(),
        registration: 'unregistered',
        lastCloudContact: null,
        cloudAccountId: null,
        policy: { reportIntervalHours: 24 },
      };
      const account: AccountRecord = state.account ?? { name: satellite.name, domain: null, type: 'customer' };
      const fresh = state.vas.size === 0;
      const va: VirtualAccount = { id: newId('va'), name: 'Default', parentId: null, tags: {}, createdAt: now.toISOString() };
      tx.put(keys.satellite, satellite);
      tx.put(keys.account, account);
      if (fresh) {
        tx.put(keys.va(va.id), va);
        recordEvent(tx, ctx, now, { actor: 'system', type: 'virtual-account.created', vaId: va.id, details: { path: 'Default' } });
      }
      tx.after(() => {
        state.setSatellite(satellite);
        state.setAccount(account);
        if (fresh) state.putVa(va);
      });
    });
  }
  // A configured name wins over the one recorded at first start.
  if (config.name && state.satellite.name !== config.name) {
    const satellite = { ...state.satellite, name: config.name };
    await ctx.writer.run((tx) => {
      tx.put(keys.satellite, satellite);
      tx.after(() => state.setSatellite(satellite));
    });
  }

  if (state.users.size > 0) return { initialPasswordFile: null };
  // The file is written before the user: a crash in between leaves no user, and the next start
  // writes a new password.
  const password = randomPassword();
  const file = await savePassword(password);
  const user: UserRecord = {
    id: newId('usr'),
    username: 'admin',
    roles: [{ role: 'sa-admin', vaId: null }],
    passwordHash: await hashPassword(password),
    mustChangePassword: true,
    createdAt: now.toISOString(),
  };
  await ctx.writer.run((tx) => {
    tx.put(keys.user(user.id), user);
    tx.put(keys.username('admin'), user.id);
    recordEvent(tx, ctx, now, { actor: 'system', type: 'user.created', vaId: null, details: { username: 'admin', initial: true } });
    tx.after(() => state.putUser(user));
  });
  return { initialPasswordFile: file };
}
