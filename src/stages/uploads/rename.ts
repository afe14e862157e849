import type { RequestContext } from '../../pipeline/context.js';
import type { FileOutcome } from './file-check.js';
import { headerSafeName, replacementFilename, sanitizeFilename } from './filename.js';
import type { PartHead } from './multipart.js';
import type { Observation } from './observer.js';

/**
 * Replaces every client file name before the body goes upstream: in a multipart body each
 * file part's Content-Disposition is rebuilt (`form-data; name="..."; filename="<new>"`,
 * its other headers and its content byte for byte as sent); for a raw body the request's
 * Content-Disposition is rebuilt. The originals go in `originalHeader` when one is
 * configured; a client-sent copy of that header is always removed.
 *
 * @example
 * renameFiles(ctx, observation, files, 'sanitize', 'x-upload-original-names');
 */
export function renameFiles(ctx: RequestContext, obs: Observation, files: readonly FileOutcome[], action: 'sanitize' | 'replace', originalHeader: string | undefined): void {
  const newName = (f: FileOutcome): string => action === 'replace' || f.filename === undefined || f.filename === ''
    ? replacementFilename(f.sha256, f.detected.ext)
    : sanitizeFilename(f.filename);
  const originals: string[] = [];
  if (obs.kind === 'multipart') {
    const names = new Map<PartHead, string>();
    for (const f of files) {
      if (f.part === undefined) continue;
      names.set(f.part, newName(f));
      originals.push(headerSafeName(f.filename ?? ''));
    }
    if (names.size > 0 && ctx.body !== undefined) ctx.body = rewriteHeaders(ctx.body, obs.parts, names);
    else if (names.size > 0 && ctx.spooled !== undefined) {
      // On disk: the new header blocks are spliced in as the file streams upstream.
      for (const part of obs.parts) {
        const name = names.get(part);
        if (name !== undefined) ctx.spooled.replace(part.headerStart, part.headerEnd, headerBlock(part, name));
      }
    }
  } else {
    const f = files[0];
    if (f !== undefined && f.filename !== undefined) {
      (ctx.upstreamHeaders ??= {})['content-disposition'] = `attachment; filename="${newName(f)}"`;
      originals.push(headerSafeName(f.filename));
    }
  }
  if (originalHeader !== undefined) (ctx.upstreamHeaders ??= {})[originalHeader] = originals.length > 0 ? originals.join(', ') : null;
}

function rewriteHeaders(body: Buffer, parts: readonly PartHead[], names: ReadonlyMap<PartHead, string>): Buffer {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const part of parts) {
    const name = names.get(part);
    if (name === undefined) continue;
    pieces.push(body.subarray(at, part.headerStart));
    pieces.push(headerBlock(part, name));
    at = part.headerEnd;
  }
  pieces.push(body.subarray(at));
  return Buffer.concat(pieces);
}

function headerBlock(part: PartHead, name: string): Buffer {
  // The field name passed the parser's check (no quote, backslash or control character): it is carried unchanged.
  const lines = [`Content-Disposition: form-data; name="${part.field}"; filename="${name}"`, ...part.otherHeaders];
  return Buffer.from(lines.join('\r\n'), 'utf8');
}
