// The journal of device changes the cloud has not yet acknowledged: each registration,
// re-registration, move and deregistration appends one `devices.ndjson` record, staged in the
// same transaction as the change. An export carries them oldest first; the cloud's response
// to that export removes the ones it carried.
import type { DeviceRecord as DeviceChange } from '../../../exchange/bundle/index.ts';
import type { Tx } from '../../store/index.ts';
import { keys } from '../../store/index.ts';
import type { Sequences } from '../satellite/sequences.ts';
import type { State } from '../satellite/state.ts';
import type { DeviceRecord } from '../satellite/records.ts';

export type { DeviceChange };

/** The counter of `djq!` keys. */
export const DEVICE_CHANGE_SEQ = 'device-change';

/**
 * Stages one journal entry for `device` as it is after the change (its state, its VA's path at
 * this moment). Call it wherever a device's registration, VA or state changes.
 */
export function journalDeviceChange(tx: Tx, seq: Sequences, state: State, device: DeviceRecord, at: Date): void {
  const change: DeviceChange = {
    deviceId: device.id,
    udi: { pid: device.udi.pid, sn: device.udi.sn },
    hostname: device.hostname,
    virtualAccount: state.vaPath(device.vaId) || 'Default',
    state: device.state,
    via: device.via,
    at: at.toISOString(),
  };
  tx.put(keys.deviceChange(seq.next(tx, DEVICE_CHANGE_SEQ)), change);
}
