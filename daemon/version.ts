// The program's version, from the package.json beside the code: the repository's in a checkout,
// the one `npm run build` writes into dist/ in an installed package.
import { readFileSync } from 'node:fs';

export const VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
