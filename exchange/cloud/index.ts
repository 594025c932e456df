// exchange/cloud: the reference cloud of SPEC §5 — a peer to test satellites against.
export { createCloudApp } from './app.ts';
export type { CloudAppDeps } from './app.ts';
export { ConfigError, loadCloudConfig, parseCloudConfig } from './config.ts';
export type { AccountConfig, CloudConfig } from './config.ts';
export { CLOUD_ERROR_CODES, CloudError, errorResponse } from './errors.ts';
export type { CloudErrorCode } from './errors.ts';
export { JWKS_FILE, KEY_FILE, loadOrCreateIdentity } from './identity.ts';
export type { CloudIdentity } from './identity.ts';
export { respondOffline } from './offline.ts';
export { startCloudServer } from './server.ts';
export type { RunningCloud } from './server.ts';
export { createCloud } from './service.ts';
export type { Cloud, CloudDeps } from './service.ts';
export { CloudStore, RECEIVED_FILES } from './store.ts';
export type { ReceivedFile, SatelliteState } from './store.ts';
