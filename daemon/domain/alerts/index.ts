// Alerts (SPEC §7) in one place: the alert shape and how sources are collected (alerts.ts), and each rule: licenses, sync, lapse.
export * from './alerts.ts';
export * from './lapse-alerts.ts';
export * from './license-alerts.ts';
export * from './sync-alerts.ts';
