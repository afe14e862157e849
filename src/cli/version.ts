import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPackageRoot } from '../util/package-root.js';

/** The package version, from the package.json above this file (src/ or dist/src/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(findPackageRoot(import.meta.url), 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}
