import { lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'portcullis-spool-';

/** The private directory of this process per configured base directory. */
const dirs = new Map<string, string>();
let exitHook = false;

/**
 * This process's private spool directory inside `base`, made on first use with mkdtemp
 * (mode 0700, a random suffix, named after the pid so a later start can tell whose it was).
 * The first use also removes what earlier processes left behind: a crashed gateway cannot
 * unlink its files, so they are cleared when the next one starts. Throws when `base` is not a
 * directory the gateway can create entries in (config load reports it with its line).
 *
 * @example
 * const dir = spoolDirIn('/var/tmp'); // /var/tmp/portcullis-spool-4242-Xa81Qz
 */
export function spoolDirIn(base: string): string {
  const known = dirs.get(base);
  if (known !== undefined) return known;
  if (!statSync(base).isDirectory()) throw new Error('not a directory');
  removeStale(base);
  const dir = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
  dirs.set(base, dir);
  if (!exitHook) {
    exitHook = true;
    // A process that ends without a clean shutdown (validate, an uncaught error) still leaves nothing.
    process.once('exit', removeSpoolDirs);
  }
  return dir;
}

/** Forgets the private directory in `base` (something removed it, e.g. a tmp cleaner): the next use makes a new one. */
export function forgetSpoolDir(base: string): void {
  dirs.delete(base);
}

/** Removes this process's spool directories and every file in them (gateway shutdown). */
export function removeSpoolDirs(): void {
  for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Spool directories of processes that are gone; a live pid's (a cluster sibling's) is left alone. */
function removeStale(base: string): void {
  let names: string[];
  try { names = readdirSync(base); } catch { return; }
  const uid = process.getuid?.();
  for (const name of names) {
    const m = /^portcullis-spool-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
    if (m === null || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
    const path = join(base, name);
    try {
      // In a shared /tmp only our own real directories are ours to remove (never a symlink).
      const st = lstatSync(path);
      if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) continue;
      rmSync(path, { recursive: true, force: true });
    } catch { /* another process removed it first */ }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
