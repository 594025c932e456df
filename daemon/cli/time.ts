// `outpost time` shows the clock against the store's high-water mark of time; `outpost time
// confirm [--undo]` says the clock is right now (clears clock-suspect) and, with --undo, reinstates
// what the lapse or the silent-device rule deregistered while it stood (POST /api/time/confirm).
import type { ConfirmResult, TimeView } from '../domain/satellite/time-mark.ts';
import { CliError } from './output.ts';
import type { Verb } from './verbs.ts';

export const timeShow: Verb = {
  async run({ client, out, positionals }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost time [show] | outpost time confirm [--undo]');
    const v = await client.call<TimeView>('GET', '/api/time');
    out.result(v, (x) => `clock ${x.now}, high-water mark ${x.highWater ?? '-'}${x.suspect ? `\nclock-suspect since ${x.suspect.since}: ${x.suspect.reason}` : ''}`);
  },
};

export const timeConfirm: Verb = {
  options: { undo: { type: 'boolean', default: false } },
  async run({ client, out, positionals, values }) {
    if (positionals.length > 0) throw new CliError('INVALID_REQUEST', 'usage: outpost time confirm [--undo]');
    const r = await client.call<ConfirmResult>('POST', '/api/time/confirm', { undo: values.undo === true });
    out.result(r, (x) =>
      x.undo
        ? `clock confirmed; ${x.reinstated} device${x.reinstated === 1 ? '' : 's'} reinstated${x.registrationRestored ? ', the lapse undone' : ''}`
        : 'clock confirmed',
    );
  },
};
