export type { Store, BatchOp, Range } from './port.ts';
export { prefixRange } from './port.ts';
export { LevelStore, StoreLockedError } from './level.ts';
export { MemoryStore } from './memory.ts';
export { Writer, type Tx } from './writer.ts';
export { keys, seqKey } from './keys.ts';
