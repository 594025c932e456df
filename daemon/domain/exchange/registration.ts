// The registration request (SPEC §5): a bundle with no files whose manifest carries the token,
// the satellite's name and its public key, signed by that key. Remembering that a request is
// waiting is what lets the registration response in.
import { keys } from '../../store/index.ts';
import type { Actor, DomainContext } from '../satellite/context.ts';
import { recordEvent } from '../satellite/events.ts';
import type { ExchangeBook, ExchangeRecord } from './book.ts';
import type { BundleWriter } from './ports.ts';

export async function writeRegistrationRequest(
  ctx: DomainContext,
  deps: { book: ExchangeBook; write: BundleWriter },
  token: string,
  out: string,
  actor: Actor,
): Promise<void> {
  const { identity, state } = ctx;
  const { book } = deps;
  const now = ctx.clock();
  await deps.write({
    out,
    manifest: {
      kind: 'registration-request',
      satellite: identity.id,
      account: state.satellite.cloudAccountId,
      sequence: 0,
      inReplyTo: null,
      createdAt: now.toISOString(),
      token,
      name: state.satellite.name,
      publicKey: identity.bareJwk,
    },
    files: [],
  });
  await ctx.writer.run((tx) => {
    const exchange: ExchangeRecord = { ...book.exchange, registrationRequestedAt: now.toISOString() };
    tx.put(keys.exchange, exchange);
    recordEvent(tx, ctx, now, { actor, type: 'satellite.registration_requested', vaId: null, details: { name: state.satellite.name } });
    tx.after(() => (book.exchange = exchange));
  });
}
