import { join } from 'node:path';
import { findPackageRoot } from '../../src/util/package-root.js';

/** The repository root, whether this runs from test/ (tsx) or dist/test/ (compiled). */
export const REPO_ROOT: string = findPackageRoot(import.meta.url);

/** The compiled CLI entry point. */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Path of a file under test/fixtures. */
export function fixture(...parts: string[]): string {
  return join(REPO_ROOT, 'test', 'fixtures', ...parts);
}
