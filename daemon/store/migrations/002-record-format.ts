// Format 1 → 2: the store records its format. Release 0.1.0 wrote no format record; its records
// are read by this program as they are, so this step changes no record — the runner writes
// `meta!format` = 2 once it returns. Later formats that change records add their own files.
import type { Migration } from './migration.ts';

export const recordFormat: Migration = {
  to: 2,
  description: 'the store records its format (meta!format)',
  async run() {},
};
