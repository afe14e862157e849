import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder holding Portcullis's package.json above `from`: the bench runs from `bench/`
 * (tsx) or `dist/bench/` (compiled) and finds fixtures and the CLI from there.
 *
 * @example
 * repoRoot(dirname(fileURLToPath(import.meta.url)));
 */
export function repoRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'portcullis') return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no Portcullis package.json above ${from}`);
    dir = parent;
  }
}
