// The store's migrations in order: MIGRATIONS[i] moves a store from format i + 1 to i + 2.
import type { Migration } from './migration.ts';

export const MIGRATIONS: readonly Migration[] = [];
