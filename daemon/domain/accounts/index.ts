// The Smart Account: its profile, the virtual-account tree and its tag keys.
export * from './account.ts';
export * from './tags.ts';
export * from './va-tree.ts';
export * from './virtual-accounts.ts';
