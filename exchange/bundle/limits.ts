// Bounds and the entry-name rule of SPEC §5. Zip tools do not agree on cleaning names
// (archiver rewrites `a\..\x` to `a/../x`, unzipper hands back raw paths), so both the writer
// and the reader check names themselves, with this one rule.

export const MANIFEST_NAME = 'manifest.jws';
export const DEFAULT_MAX_BYTES = 1024 ** 3; // 1 GiB uncompressed, SPEC §5 default
export const DEFAULT_MAX_ENTRIES = 64;
/** manifest.jws is inflated before its signature is checked, so it gets its own small cap. */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** Why `name` may not be a bundle entry, or null when it may. */
export function entryNameProblem(name: string): string | null {
  if (name.length === 0) return 'is empty';
  if (name.length > 255) return 'is longer than 255 characters';
  if (name.includes('/')) return 'contains "/"';
  if (name.includes('\\')) return 'contains "\\"';
  if (name.includes('..')) return 'contains ".."';
  if (name.startsWith('.')) return 'starts with a dot';
  if (/^[A-Za-z]:/.test(name)) return 'is an absolute path';
  // Control characters (NUL above all) make names that print as something else.
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains a control character';
  return null;
}
