import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The nearest folder at or above `from` holding a package.json: the repository root both
 * from sources (src/, run by tsx) and from the compiled tree (dist/src/).
 *
 * @example
 * const root = findPackageRoot(import.meta.url);
 */
export function findPackageRoot(from: string | URL): string {
  let dir = dirname(typeof from === 'string' && !from.startsWith('file:') ? from : fileURLToPath(from));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${String(from)}`);
    dir = parent;
  }
  return dir;
}
