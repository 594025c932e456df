// The table of verbs that talk to the running daemon, one file per verb's body.
import type { ParseArgsConfig } from 'node:util';
import type { FrozenConfig } from '../config/index.ts';
import { apiTokenCreate, apiTokenList, apiTokenRevoke } from './api-token.ts';
import { backup } from './backup.ts';
import type { ControlClient } from './client.ts';
import type { Out } from './output.ts';
import { exportVerb } from './export.ts';
import { importVerb } from './import.ts';
import { account, alerts, devices, events, licenses } from './listing.ts';
import { quarantineList, quarantineRemove } from './quarantine.ts';
import { register } from './register.ts';
import { restore } from './restore.ts';
import { status } from './status.ts';
import { sync } from './sync.ts';
import { timeConfirm, timeShow } from './time.ts';
import { tokenCreate, tokenList, tokenRevoke } from './token.ts';
import { userAdd, userList, userPasswd, userSet } from './user.ts';
import { notifyDeliveries, notifyTest } from './notify.ts';
import { collect, rumExport, rumImportAck, targetAdd, targetImport, targetList, targetRemove } from './collector.ts';

export interface VerbContext {
  client: ControlClient;
  out: Out;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  config: FrozenConfig;
}

export interface Verb {
  options?: ParseArgsConfig['options'];
  run(ctx: VerbContext): Promise<void>;
}

export const VERBS: Record<string, Verb & { subverbs?: Record<string, Verb> }> = {
  status,
  account,
  licenses,
  devices,
  alerts,
  events,
  backup,
  restore,
  register,
  export: exportVerb,
  import: importVerb,
  sync,
  time: {
    run: async () => {},
    subverbs: { show: timeShow, confirm: timeConfirm },
  },
  token: {
    run: async () => {},
    subverbs: { create: tokenCreate, list: tokenList, revoke: tokenRevoke },
  },
  'api-token': {
    run: async () => {},
    subverbs: { create: apiTokenCreate, list: apiTokenList, revoke: apiTokenRevoke },
  },
  quarantine: {
    run: async () => {},
    subverbs: { list: quarantineList, remove: quarantineRemove },
  },
  user: {
    run: async () => {},
    subverbs: { add: userAdd, list: userList, passwd: userPasswd, set: userSet },
  },
  notify: {
    run: async () => {},
    subverbs: { deliveries: notifyDeliveries, test: notifyTest },
  },
  target: {
    run: async () => {},
    subverbs: { add: targetAdd, list: targetList, remove: targetRemove, import: targetImport },
  },
  collect,
  rum: {
    run: async () => {},
    subverbs: { export: rumExport, 'import-ack': rumImportAck },
  },
};
