// `npm pack`'s prepack step: writes npm-shrinkwrap.json from package-lock.json, without the
// development-only packages, so `npm install -g outpost-<version>.tgz` gets the versions the
// tests ran with (a global install ignores package-lock.json). postpack removes it again: the
// checkout keeps one lock file.
import { readFile, writeFile } from 'node:fs/promises';

interface Lock {
  packages: Record<string, { dev?: boolean; devDependencies?: unknown }>;
}

const lock = JSON.parse(await readFile('package-lock.json', 'utf8')) as Lock;
const packages: Lock['packages'] = {};
for (const [where, entry] of Object.entries(lock.packages)) {
  if (entry.dev) continue;
  packages[where] = where === '' ? { ...entry, devDependencies: undefined } : entry;
}
await writeFile('npm-shrinkwrap.json', JSON.stringify({ ...lock, packages }, null, 2) + '\n');
console.log(`npm-shrinkwrap.json: ${Object.keys(packages).length - 1} packages (of ${Object.keys(lock.packages).length - 1} in package-lock.json)`);
