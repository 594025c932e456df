// The store's migrations in order, one file each: MIGRATIONS[i] moves a store from format i + 1
// to i + 2. A new one is added at the end; none is ever edited once released.
import { recordFormat } from './002-record-format.ts';
import { deviceIndex } from './003-device-index.ts';
import type { Migration } from './migration.ts';

export type { Migration } from './migration.ts';

export const MIGRATIONS: readonly Migration[] = [recordFormat, deviceIndex];
