// What domain services are built from: passed in, never imported as singletons.
import type { FrozenConfig } from '../../config/index.ts';
import type { Store, Writer } from '../../store/index.ts';
import type { Clock } from './clock.ts';
import type { Identity } from './identity.ts';
import type { EventWriting } from './events.ts';
import type { Sequences } from './sequences.ts';
import type { State } from './state.ts';

export interface DomainContext {
  config: FrozenConfig;
  store: Store;
  writer: Writer;
  seq: Sequences;
  state: State;
  clock: Clock;
  identity: Identity;
  /** Stages what each event calls for in its own transaction (the notifications outbox); set once at start. */
  onEvent?: EventWriting['onEvent'];
}

/** Who asks: a user, a device, the control socket, a job or the cloud. */
export type Actor = string;
