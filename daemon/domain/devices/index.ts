// Product instances: registration with tokens, credentials, policy mode, the device-state check, device admin, and the change journal the exchange carries.
export * from './credentials.ts';
export * from './device-admin.ts';
export * from './device-journal.ts';
export * from './device-state.ts';
export * from './policy.ts';
export * from './registration.ts';
export * from './tokens.ts';
