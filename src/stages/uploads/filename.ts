/**
 * What the upstream gets instead of a client's file name. The client's name is never
 * passed on as given: it may climb directories (`../../etc/cron.d/x`), carry a Windows
 * path, NUL bytes, control characters, shell or HTML metacharacters, or be a device name.
 */

const MAX_LENGTH = 100;

/**
 * The base name, every character outside [A-Za-z0-9._-] replaced by `_`, runs of `_`
 * folded, no leading dots (no hidden files, no `..`), at most 100 characters (the
 * extension kept), `upload` when nothing is left.
 *
 * @example
 * sanitizeFilename('..\\..\\boot.ini'); // 'boot.ini'
 * sanitizeFilename('../../etc/passwd'); // 'passwd'
 */
export function sanitizeFilename(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  let s = base.normalize('NFKC').replace(/[^A-Za-z0-9._-]/g, '_').replace(/_+/g, '_').replace(/^[._]+/, '').replace(/\.+$/, '');
  if (s.length > MAX_LENGTH) {
    const dot = s.lastIndexOf('.');
    const ext = dot > 0 && s.length - dot <= 17 ? s.slice(dot) : '';
    s = s.slice(0, MAX_LENGTH - ext.length) + ext;
  }
  // A Windows device name stays a device whatever its extension.
  if (/^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i.test(s)) s = `file-${s}`;
  return s === '' ? 'upload' : s;
}

/**
 * A name made by the gateway alone: `upload-<16 hex of the SHA-256>.<detected extension>`.
 *
 * @example
 * replacementFilename('9f86d081884c7d65...', 'png'); // 'upload-9f86d081884c7d65.png'
 */
export function replacementFilename(sha256: string, ext: string): string {
  return `upload-${sha256.slice(0, 16)}.${ext}`;
}

/** Characters of an original name kept for the upstream's header (a 16 KiB name must not make its head too large). */
const MAX_ORIGINAL = 255;

/** A name as a header value can carry it: its first 255 characters, UTF-8, percent-encoded (commas too, they separate names). */
export function headerSafeName(name: string): string {
  return encodeURIComponent([...name].slice(0, MAX_ORIGINAL).join(''));
}
