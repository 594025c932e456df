// The satellite itself: identity, first start, in-memory state, sequences, events and the event log, status, lapse, clock, ids and input validation.
export * from './bootstrap.ts';
export * from './bounded-json.ts';
export * from './clock.ts';
export * from './context.ts';
export * from './event-log.ts';
export * from './events.ts';
export * from './identity.ts';
export * from './ids.ts';
export * from './lapse.ts';
export * from './records.ts';
export * from './sequences.ts';
export * from './state.ts';
export * from './status.ts';
export * from './validate.ts';
