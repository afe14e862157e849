import { decodeExtValue, parseHeaderParams } from './header-params.js';

/** A part's head as the parser read it, with where its header block lies in the body. */
export interface PartHead {
  readonly index: number;
  /** Offset in the body of the part's first header byte. */
  readonly headerStart: number;
  /** Offset of the CRLFCRLF that ends the header block (exclusive end of the header lines). */
  readonly headerEnd: number;
  readonly field: string;
  /** The client's file name (undefined for a form field). Untrusted: never a path. */
  readonly filename: string | undefined;
  /** The part's Content-Type as declared (lower-cased, without parameters), if any. */
  readonly contentType: string | undefined;
  /** The header lines other than Content-Disposition, as sent (for a rebuilt header block). */
  readonly otherHeaders: readonly string[];
}

/** Receives the parts as they stream. Any method may throw to stop the parse. */
export interface MultipartSink {
  part(head: PartHead): void;
  data(chunk: Buffer): void;
  partEnd(): void;
}

/** The body is not a multipart body this gateway accepts; `reason` is for logs only. */
export class MalformedMultipart extends Error {}

const CRLF = Buffer.from('\r\n');
const CRLFCRLF = Buffer.from('\r\n\r\n');
const MAX_HEADER_BLOCK = 16 * 1024;
const ALLOWED_CTE = new Set(['7bit', '8bit', 'binary']);
const FIELD_NAME_UNSAFE = /["\\\u0000-\u001f\u007f]/;

type State = 'preamble' | 'headers' | 'body' | 'after-delimiter' | 'epilogue';

/**
 * A streaming, strict multipart/form-data parser (RFC 7578) that keeps the offsets of each
 * part's header block, so a file's name can be rewritten in the buffered body afterwards.
 * Memory: at most one header block (16 KiB) or one delimiter's length of carried bytes.
 * Refused as malformed: a preamble, anything but CRLF after a delimiter or as epilogue,
 * folded or duplicated headers, encodings other than 7bit/8bit/binary (base64 would hide a
 * file from the scanner), field names a rebuilt header could not carry unchanged, and a
 * field whose disposition mentions a file name it does not declare as a parameter (a
 * naive upstream parser would take it for a file nobody scanned).
 *
 * @example
 * const p = new MultipartParser(boundary, sink);
 * for (const chunk of chunks) p.write(chunk);
 * p.end();
 */
export class MultipartParser {
  readonly #delimiter: Buffer;
  readonly #sink: MultipartSink;
  #state: State = 'preamble';
  #buf: Buffer = Buffer.alloc(0);
  /** Offset in the body of #buf[0]. */
  #bufStart = 0;
  #parts = 0;
  #epilogue = 0;

  constructor(boundary: string, sink: MultipartSink) {
    this.#delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
    this.#sink = sink;
  }

  write(chunk: Buffer): void {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    for (;;) if (!this.#step()) break;
  }

  end(): void {
    if (this.#state !== 'epilogue') throw new MalformedMultipart('the body ends before the closing delimiter');
  }

  #consume(n: number): void {
    this.#buf = this.#buf.subarray(n);
    this.#bufStart += n;
  }

  /** One step of the state machine; false when it needs more bytes. */
  #step(): boolean {
    const buf = this.#buf;
    switch (this.#state) {
      case 'preamble': {
        // The body must open with the first delimiter (its leading CRLF is optional there).
        const open = this.#delimiter.subarray(2);
        if (buf.length < open.length) {
          if (!open.subarray(0, buf.length).equals(buf)) throw new MalformedMultipart('the body does not start with the boundary');
          return false;
        }
        if (!buf.subarray(0, open.length).equals(open)) throw new MalformedMultipart('the body does not start with the boundary');
        this.#consume(open.length);
        this.#state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        if (buf.length < 2) return false;
        if (buf[0] === 0x0d && buf[1] === 0x0a) {
          this.#consume(2);
          this.#state = 'headers';
          return true;
        }
        if (buf[0] === 0x2d && buf[1] === 0x2d) {
          this.#consume(2);
          this.#state = 'epilogue';
          return true;
        }
        throw new MalformedMultipart('a delimiter is followed by something other than CRLF or --');
      }
      case 'headers': {
        if (buf.length >= 2 && buf[0] === 0x0d && buf[1] === 0x0a) throw new MalformedMultipart('a part has no headers');
        const end = buf.indexOf(CRLFCRLF);
        if (end < 0) {
          if (buf.length > MAX_HEADER_BLOCK) throw new MalformedMultipart('a part header block is too large');
          return false;
        }
        if (end > MAX_HEADER_BLOCK) throw new MalformedMultipart('a part header block is too large');
        const head = this.#readHead(buf.subarray(0, end), this.#bufStart, this.#bufStart + end);
        this.#consume(end + 4);
        this.#state = 'body';
        this.#sink.part(head);
        return true;
      }
      case 'body': {
        const at = buf.indexOf(this.#delimiter);
        if (at < 0) {
          // Keep what could be the start of a delimiter split across chunks.
          const keep = Math.min(buf.length, this.#delimiter.length - 1);
          if (buf.length > keep) {
            this.#sink.data(buf.subarray(0, buf.length - keep));
            this.#consume(buf.length - keep);
          }
          return false;
        }
        if (at > 0) this.#sink.data(buf.subarray(0, at));
        this.#consume(at + this.#delimiter.length);
        this.#sink.partEnd();
        this.#state = 'after-delimiter';
        return true;
      }
      case 'epilogue': {
        // curl and browsers end with CRLF or nothing; anything else could be read as more parts by someone.
        for (const b of buf) if (b !== 0x0d && b !== 0x0a) throw new MalformedMultipart('data after the closing delimiter');
        this.#epilogue += buf.length;
        if (this.#epilogue > 2) throw new MalformedMultipart('data after the closing delimiter');
        this.#consume(buf.length);
        return false;
      }
    }
  }

  #readHead(block: Buffer, headerStart: number, headerEnd: number): PartHead {
    const lines = splitLines(block);
    let disposition: string | undefined;
    let contentType: string | undefined;
    let cte: string | undefined;
    const otherHeaders: string[] = [];
    for (const line of lines) {
      if (line === '' || line[0] === ' ' || line[0] === '\t') throw new MalformedMultipart('a folded or empty part header line');
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MalformedMultipart('a part header line without a name');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-disposition') {
        if (disposition !== undefined) throw new MalformedMultipart('two Content-Disposition headers in one part');
        disposition = value;
        continue;
      }
      if (name === 'content-type') {
        if (contentType !== undefined) throw new MalformedMultipart('two Content-Type headers in one part');
        contentType = value;
      } else if (name === 'content-transfer-encoding') {
        if (cte !== undefined) throw new MalformedMultipart('two Content-Transfer-Encoding headers in one part');
        cte = value.toLowerCase();
        if (!ALLOWED_CTE.has(cte)) throw new MalformedMultipart('a part uses a transfer encoding other than 7bit, 8bit or binary');
      }
      otherHeaders.push(line);
    }
    if (disposition === undefined) throw new MalformedMultipart('a part without Content-Disposition');
    const parsed = parseHeaderParams(disposition);
    if (parsed === undefined || parsed.value !== 'form-data') throw new MalformedMultipart('a malformed Content-Disposition');
    const field = parsed.params.get('name');
    if (field === undefined || FIELD_NAME_UNSAFE.test(field)) throw new MalformedMultipart('a part without a usable field name');
    let filename = parsed.params.get('filename');
    const extended = parsed.params.get('filename*');
    if (extended !== undefined) {
      const decoded = decodeExtValue(extended);
      if (decoded === undefined) throw new MalformedMultipart('an undecodable filename*');
      filename = decoded;
    }
    if (filename === undefined && /filename/i.test(disposition)) throw new MalformedMultipart('a field whose disposition mentions a file name');
    let type: string | undefined;
    if (contentType !== undefined) {
      const ct = parseHeaderParams(contentType);
      if (ct === undefined) throw new MalformedMultipart('a malformed part Content-Type');
      type = ct.value;
    }
    return { index: this.#parts++, headerStart, headerEnd, field, filename, contentType: type, otherHeaders };
  }
}

/** Splits a header block on CRLF; a bare CR or LF is refused (parsers disagree on it). */
function splitLines(block: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const at = block.indexOf(CRLF, start);
    const line = block.subarray(start, at < 0 ? block.length : at);
    if (line.includes(0x0d) || line.includes(0x0a)) throw new MalformedMultipart('a bare CR or LF in a part header');
    lines.push(line.toString('utf8'));
    if (at < 0) return lines;
    start = at + 2;
  }
}
