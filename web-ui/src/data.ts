// Reads several pages share.
import { all } from './api.ts';
import type { VirtualAccount } from './types.ts';

export function loadVas(signal?: AbortSignal): Promise<VirtualAccount[]> {
  return all<VirtualAccount>('/api/virtual-accounts', {}, signal);
}
