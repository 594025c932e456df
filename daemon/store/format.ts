// The store's format number: release 0.1.0 wrote format 1 without recording it; each migration
// under ./migrations/ moves a store one format forward, so the program's format is 1 + their count.
import { MIGRATIONS } from './migrations/index.ts';

export const STORE_FORMAT: number = 1 + MIGRATIONS.length;
