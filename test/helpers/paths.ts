import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';

/** The repository root, whether this runs from test/ (tsx) or dist/test/ (compiled). */
export const REPO_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

/** The compiled CLI entry point. */
export const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

/** Path of a file under test/fixtures. */
export function fixture(...parts: string[]): string {
  return join(REPO_ROOT, 'test', 'fixtures', ...parts);
}
