/**
 * A small synchronous multipart/form-data parser. Synchronous on purpose: the
 * whole body is already buffered, and a sync parser keeps `evaluate` sync and
 * lets us flag evasions (MULTIPART_STRICT_ERROR) that streaming parsers hide.
 */

/** One part: its headers, field name, optional filename, and content (byte string). */
export interface Part {
  readonly headers: Array<[string, string]>;
  readonly name: string;
  readonly filename: string | undefined;
  readonly value: string;
}

/** Parse result; `strictError` marks anything a lenient backend could read differently. */
export interface MultipartResult {
  readonly parts: Part[];
  readonly strictError: boolean;
  readonly unmatchedBoundary: boolean;
}

/**
 * @example
 * parseMultipart('--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--b--\r\n', 'multipart/form-data; boundary=b')
 */
export function parseMultipart(body: string, contentType: string): MultipartResult {
  const m = /boundary\s*=\s*(?:"([^"]+)"|([^;,\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new Error('multipart boundary missing');
  let strictError = /boundary\s*=.*boundary\s*=/i.test(contentType) || /[^\x21-\x7e ]/.test(boundary);
  const delim = `--${boundary}`;
  const chunks = body.split(delim);
  const parts: Part[] = [];
  let closed = false;
  if ((chunks[0] ?? '').trim() !== '') strictError = true;
  for (let i = 1; i < chunks.length; i++) {
    let chunk = chunks[i] as string;
    if (chunk.startsWith('--')) { closed = true; break; }
    if (chunk.startsWith('\r\n')) chunk = chunk.slice(2);
    else if (chunk.startsWith('\n')) { chunk = chunk.slice(1); strictError = true; }
    else strictError = true;
    if (chunk.endsWith('\r\n')) chunk = chunk.slice(0, -2);
    else if (chunk.endsWith('\n')) chunk = chunk.slice(0, -1);
    let sep = chunk.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (sep === -1) { sep = chunk.indexOf('\n\n'); sepLen = 2; if (sep !== -1) strictError = true; }
    if (sep === -1) { strictError = true; continue; }
    const headers: Array<[string, string]> = [];
    for (const line of chunk.slice(0, sep).split(/\r?\n/)) {
      const c = line.indexOf(':');
      if (c === -1) { strictError = true; continue; }
      headers.push([line.slice(0, c).trim(), line.slice(c + 1).trim()]);
    }
    const cd = headers.find(([k]) => k.toLowerCase() === 'content-disposition')?.[1] ?? '';
    const name = param(cd, 'name');
    if (name === undefined) strictError = true;
    parts.push({ headers, name: name ?? '', filename: param(cd, 'filename'), value: chunk.slice(sep + sepLen) });
  }
  if (!closed) strictError = true;
  return { parts, strictError, unmatchedBoundary: !closed };
}

function param(header: string, key: string): string | undefined {
  const re = new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i');
  const m = re.exec(header);
  if (!m) return undefined;
  // Only \" and \\ are escapes (ModSecurity): other backslashes stay, so rules can see them.
  return m[1] !== undefined ? m[1].replace(/\\(["\\])/g, '$1') : (m[2] ?? '').trim();
}
