import busboy from 'busboy';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { UploadedPart } from '../../pipeline/context.js';
import type { Violation } from './params.js';
import { parseQuery } from './params.js';
import type { RequestValidationConfig } from './schema.js';

// The type lives with the request context, which carries the parts to later stages.
export type { UploadedPart } from '../../pipeline/context.js';

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function add(obj: Record<string, unknown>, k: string, v: unknown): void {
  const prev = obj[k];
  if (prev === undefined) obj[k] = v;
  else if (Array.isArray(prev)) prev.push(v);
  else obj[k] = [prev, v];
}

/**
 * Reads an `application/x-www-form-urlencoded` body into an object of strings (repeated
 * names become arrays); the schema then coerces them.
 *
 * @example
 * readForm(Buffer.from('a=1&b=x'), 100); // { a: '1', b: 'x' }
 */
export function readForm(body: Buffer, maxPairs: number): Record<string, unknown> | Violation {
  const q = parseQuery(body.toString('utf8'), maxPairs);
  if (q === undefined) return { pointer: '/body', reason: 'malformed form body' };
  const out: Record<string, unknown> = {};
  for (const [k, vs] of q) {
    if (FORBIDDEN.has(k)) return { pointer: '/body', reason: 'forbidden key' };
    out[k] = vs.length === 1 ? vs[0] : vs;
  }
  return out;
}

/**
 * Reads a buffered `multipart/form-data` body with busboy and per-part limits. Fields
 * become strings; a file part appears in the object as its file name (so `type: string,
 * format: binary` checks pass) and in `files`.
 *
 * @example
 * const r = await readMultipart(body, contentType, cfg.multipart);
 */
export function readMultipart(
  body: Buffer, contentType: string, limits: RequestValidationConfig['multipart'],
): Promise<{ fields: Record<string, unknown>; files: UploadedPart[] } | Violation> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (v: { fields: Record<string, unknown>; files: UploadedPart[] } | Violation): void => {
      if (!settled) { settled = true; resolve(v); }
    };
    const fail = (reason: string): void => done({ pointer: '/body', reason });
    let bb: busboy.Busboy;
    try {
      bb = busboy({
        headers: { 'content-type': contentType },
        limits: { parts: limits.maxParts, files: limits.maxFiles, fileSize: limits.maxFileSize, fieldSize: limits.maxFieldSize, fields: limits.maxParts },
      });
    } catch {
      fail('malformed multipart body');
      return;
    }
    const fields: Record<string, unknown> = {};
    const files: UploadedPart[] = [];
    bb.on('field', (name, value, info) => {
      if (FORBIDDEN.has(name)) return fail('forbidden key');
      if (info.valueTruncated || info.nameTruncated) return fail('multipart field too large');
      add(fields, name, value);
    });
    bb.on('file', (name, stream, info) => {
      if (FORBIDDEN.has(name)) { stream.resume(); return fail('forbidden key'); }
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => { chunks.push(c); size += c.length; });
      stream.on('limit', () => fail('multipart file too large'));
      stream.on('end', () => {
        files.push({ field: name, filename: info.filename ?? '', mimeType: info.mimeType, size, data: Buffer.concat(chunks) });
        add(fields, name, info.filename ?? '');
      });
    });
    bb.on('partsLimit', () => fail('too many multipart parts'));
    bb.on('filesLimit', () => fail('too many files'));
    bb.on('fieldsLimit', () => fail('too many multipart fields'));
    bb.on('error', () => fail('malformed multipart body'));
    bb.on('close', () => done({ fields, files }));
    bb.end(body);
  });
}

const XML_PARSER = new XMLParser({ processEntities: false, ignoreAttributes: true, parseTagValue: false, ignoreDeclaration: true, ignorePiTags: true });
const DTD = /<!(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)/i;

/**
 * Reads an XML body. DTDs and entity declarations are refused outright (XXE, billion
 * laughs); the parser does not expand entities either. Returns the root element's content.
 *
 * @example
 * readXml(Buffer.from('<pet><name>Rex</name></pet>'), 32); // { name: 'Rex' }
 */
export function readXml(body: Buffer, maxDepth: number): unknown {
  const text = body.toString('utf8');
  if (DTD.test(text)) return { violation: { pointer: '/body', reason: 'XML document type declarations and entities are not allowed' } };
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Self-closing tags (`/>`) open and close at once.
    if (c === 0x2f && text.charCodeAt(i + 1) === 0x3e) { depth--; continue; }
    if (c !== 0x3c) continue;
    const next = text.charCodeAt(i + 1);
    if (next === 0x2f) depth--;
    else if (next !== 0x3f && next !== 0x21 && ++depth > maxDepth) return { violation: { pointer: '/body', reason: 'nesting too deep' } };
  }
  if (XMLValidator.validate(text) !== true) return { violation: { pointer: '/body', reason: 'malformed XML' } };
  const doc = XML_PARSER.parse(text) as Record<string, unknown>;
  const roots = Object.keys(doc);
  if (roots.length !== 1) return { violation: { pointer: '/body', reason: 'malformed XML' } };
  const root = doc[roots[0]!];
  return { value: root === '' ? {} : root };
}
