// Whether a device may be served: the one place the lapse and the device's own state are checked
// for device traffic (POST /v1/reports, GET /v1/acks, GET /v1/status, POST /v1/deregister).
// Callers check the media type (415), the body's size (413), the credential (401) and, for a
// report, its fields (400) first (SPEC §3); these refusals come after.
import { OutpostError } from '../../errors.ts';
import type { DomainContext } from '../satellite/context.ts';
import type { DeviceRecord } from '../satellite/records.ts';

/** Refuses device traffic once the satellite's registration has lapsed (503 SATELLITE_DEREGISTERED). */
export function assertServing(ctx: Pick<DomainContext, 'state'>): void {
  if (ctx.state.satellite.registration === 'lapsed') {
    throw new OutpostError('SATELLITE_DEREGISTERED', 'The satellite has not reached the license cloud for too long and was deregistered.');
  }
}

/**
 * Refuses an authenticated device that may not report or ask: a lapsed satellite answers 503 to
 * every device, deregistered by the lapse or not; then a deregistered device gets 403.
 */
export function assertCanReport(ctx: Pick<DomainContext, 'state'>, device: Pick<DeviceRecord, 'state'>): void {
  assertServing(ctx);
  if (device.state !== 'registered') throw new OutpostError('DEVICE_DEREGISTERED', 'The device is deregistered; register it again.');
}
