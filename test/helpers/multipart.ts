import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';

/** One part of a hand-built multipart body. */
export interface TestPart {
  readonly name: string;
  readonly filename?: string;
  readonly type?: string;
  readonly data: Buffer | string;
  /** Extra header lines, as sent. */
  readonly headers?: readonly string[];
}

/** A 1x1 PNG. */
export const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
/** A 1x1 GIF. */
export const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/**
 * Builds a multipart/form-data body byte by byte (so tests control every header).
 *
 * @example
 * const { body, contentType } = buildMultipart([{ name: 'f', filename: 'a.png', type: 'image/png', data: PNG }]);
 */
export function buildMultipart(parts: readonly TestPart[], boundary = '----pcltest7MA4YWxkTrZu0gW'): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const lines = [`Content-Disposition: form-data; name="${p.name}"${p.filename === undefined ? '' : `; filename="${p.filename}"`}`];
    if (p.type !== undefined) lines.push(`Content-Type: ${p.type}`);
    lines.push(...(p.headers ?? []));
    chunks.push(Buffer.from(`--${boundary}\r\n${lines.join('\r\n')}\r\n\r\n`, 'utf8'), Buffer.isBuffer(p.data) ? p.data : Buffer.from(p.data, 'latin1'), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** What an independent parser (busboy, as an upstream would use) reads from a multipart body. */
export interface ParsedUpload {
  readonly files: { field: string; filename: string; mimeType: string; data: Buffer }[];
  readonly fields: Record<string, string>;
}

/** Parses a multipart body with busboy. */
export function parseMultipart(headers: IncomingHttpHeaders, body: Buffer): Promise<ParsedUpload> {
  return new Promise((resolve, reject) => {
    const files: ParsedUpload['files'] = [];
    const fields: Record<string, string> = {};
    const bb = busboy({ headers, defParamCharset: 'utf8' });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => files.push({ field, filename: info.filename ?? '', mimeType: info.mimeType, data: Buffer.concat(chunks) }));
    });
    bb.on('field', (name, value) => { fields[name] = value; });
    bb.on('close', () => resolve({ files, fields }));
    bb.on('error', reject);
    bb.end(body);
  });
}
