#!/usr/bin/env node
// The `outpost` command. An installed package runs the JavaScript `npm run build` compiled to
// dist/; a checkout (the TypeScript sources are there) runs them through tsx's loader, so a
// stale dist/ left by `npm pack` never shadows the code being worked on.
import { existsSync } from 'node:fs';

const source = new URL('../daemon/cli/main.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(source.href);
} else {
  await import('../dist/daemon/cli/main.js');
}
