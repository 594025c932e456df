// The store as domain code sees it: the port, the one writer and the key layout. The LevelDB and
// in-memory implementations are imported by name (./level.ts, ./memory.ts) where stores are
// opened — the composition root and tests — so loading a domain module never loads `level`.
export type { Store, BatchOp, Range } from './port.ts';
export { prefixRange } from './port.ts';
export { Writer, NOT_CACHED, type Tx, type CachedRead } from './writer.ts';
export { keys, seqKey } from './keys.ts';
