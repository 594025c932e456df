// The empty license state and questions about a whole state that do not fit one operation.

import type { LicenseState } from './types.ts';

/** A satellite's license state before any snapshot. */
export function emptyState(): LicenseState {
  return { lines: [], holdings: [], transfers: [], reservations: [] };
}

/** Whether a VA holds any quantity or an active reservation (it may not be deleted then). */
export function vaHasLicenses(state: LicenseState, vaId: string): boolean {
  return state.holdings.some((h) => h.vaId === vaId) || state.reservations.some((r) => r.state === 'reserved' && r.vaId === vaId);
}

/**
 * Call when an empty VA is deleted: lines that landed there land again in Default, so later
 * quantity increases from the cloud do not go to a VA that no longer exists. A TypeError if the
 * VA still holds licenses (check `vaHasLicenses` first).
 */
export function forgetVirtualAccount(state: LicenseState, vaId: string, defaultVaId: string): LicenseState {
  if (vaHasLicenses(state, vaId)) throw new TypeError(`virtual account ${vaId} still holds licenses`);
  if (vaId === defaultVaId) throw new TypeError('Default cannot be forgotten');
  if (!state.lines.some((l) => l.landedVaId === vaId)) return state;
  return { ...state, lines: state.lines.map((l) => (l.landedVaId === vaId ? { ...l, landedVaId: defaultVaId } : l)) };
}
