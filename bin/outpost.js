#!/usr/bin/env node
// The `outpost` command: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../daemon/cli/main.ts');
