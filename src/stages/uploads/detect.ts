import { TextDecoder } from 'node:util';
import { fileTypeFromBuffer } from 'file-type';

/** A file's type as its content shows it. */
export interface DetectedType {
  readonly mime: string;
  /** The usual extension of that type (txt, bin when unknown). */
  readonly ext: string;
}

/** Bytes of a file's head kept for detection: file-type reads at most this much for nearly every format. */
export const DETECT_HEAD_BYTES = 64 * 1024;

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Follows a file as it streams: is it still UTF-8 text without control characters?
 * (file-type has no signature for text; this is what decides text/plain.)
 */
export class TextSniffer {
  #decoder: TextDecoder | undefined = new TextDecoder('utf-8', { fatal: true });

  get textual(): boolean { return this.#decoder !== undefined; }

  write(chunk: Buffer): void {
    const d = this.#decoder;
    if (d === undefined) return;
    try {
      if (CONTROL.test(d.decode(chunk, { stream: true }))) this.#decoder = undefined;
    } catch {
      this.#decoder = undefined;
    }
  }

  /** Whether the whole file was text (an incomplete UTF-8 sequence at the end is not). */
  end(): boolean {
    const d = this.#decoder;
    if (d === undefined) return false;
    try {
      d.decode();
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The type by magic bytes (file-type), else text/plain for text, else application/octet-stream.
 *
 * @example
 * await detectType(head, true); // { mime: 'text/plain', ext: 'txt' } for "hello"
 */
export async function detectType(head: Buffer, textual: boolean): Promise<DetectedType> {
  const found = head.length === 0 ? undefined : await fileTypeFromBuffer(head);
  if (found !== undefined) return { mime: found.mime, ext: found.ext };
  return textual && head.length > 0 ? { mime: 'text/plain', ext: 'txt' } : { mime: 'application/octet-stream', ext: 'bin' };
}

const ALIASES: Readonly<Record<string, string>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
  'application/x-pdf': 'application/pdf',
  'application/x-zip-compressed': 'application/zip',
};

/**
 * Whether a declared type agrees with the detected one. application/octet-stream (or none)
 * claims nothing; text/* and application/json agree with detected text.
 *
 * @example
 * typesAgree('application/pdf', 'image/png'); // false
 */
export function typesAgree(declared: string | undefined, detected: string): boolean {
  if (declared === undefined || declared === 'application/octet-stream') return true;
  const d = ALIASES[declared] ?? declared;
  if (d === detected) return true;
  if (detected === 'text/plain') return d.startsWith('text/') || d === 'application/json';
  return false;
}

/**
 * Whether `type` is in an allow-list of types and ranges (`image/*`).
 *
 * @example
 * typeAllowed('image/png', ['image/*']); // true
 */
export function typeAllowed(type: string, allowed: readonly string[]): boolean {
  for (const a of allowed) {
    if (a === type) return true;
    if (a.endsWith('/*') && type.startsWith(a.slice(0, -1))) return true;
  }
  return false;
}

/** The lower-cased extension of a client file name ('' when none). */
export function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot + 1).toLowerCase();
}
