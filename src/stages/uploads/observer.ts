import type { RequestBodyObserver } from '../../pipeline/stage.js';
import { FileCheck, type FileOutcome, type Scanner } from './file-check.js';
import { MalformedMultipart, MultipartParser, type MultipartSink, type PartHead } from './multipart.js';

/** The limits an observer enforces while the body streams (compiled from the stage config). */
export interface UploadLimits {
  readonly maxFileSize: number;
  readonly maxPartSize: number;
  readonly maxTotalSize: number;
  readonly maxFiles: number;
  readonly maxParts: number;
}

/** A refusal found while streaming: a code for the client and a reason for the event. */
export interface StreamRefusal {
  readonly code: 'PCL_UPLOAD_MALFORMED' | 'PCL_UPLOAD_TOO_LARGE';
  readonly reason: string;
}

/** What a request's body turned out to hold, once read. */
export interface Observation {
  readonly kind: 'multipart' | 'raw';
  /** Set when the body was refused while it streamed (the files are then not judged). */
  readonly refusal: StreamRefusal | undefined;
  /** One outcome per file, in body order. */
  readonly files: Promise<FileOutcome[]>;
  /** Every part head of a multipart body (for rewriting file names). */
  readonly parts: readonly PartHead[];
}

/**
 * Watches one request body: parses a multipart body as it streams (or treats a raw body as
 * one file), enforces the counts and sizes, and feeds each file to its FileCheck. Once a
 * refusal is found it stops looking; the stage's inspect handler reports it.
 */
export class UploadObserver implements RequestBodyObserver, MultipartSink {
  readonly #limits: UploadLimits;
  readonly #scanner: Scanner | undefined;
  readonly #parser: MultipartParser | undefined;
  readonly #parts: PartHead[] = [];
  readonly #checks: FileCheck[] = [];
  readonly #done: Promise<FileOutcome>[] = [];
  #current: FileCheck | undefined;
  #fieldBytes = 0;
  #total = 0;
  #refusal: StreamRefusal | undefined;
  #settle!: (files: FileOutcome[] | Promise<FileOutcome[]>) => void;
  readonly files: Promise<FileOutcome[]> = new Promise((r) => { this.#settle = r; });

  /** `boundary` for a multipart body; `raw` describes the single file of a raw body. */
  constructor(limits: UploadLimits, scanner: Scanner | undefined, body: { boundary: string } | { raw: { filename: string | undefined; declared: string | undefined } }) {
    this.#limits = limits;
    this.#scanner = scanner;
    if ('boundary' in body) {
      this.#parser = new MultipartParser(body.boundary, this);
    } else {
      this.#current = new FileCheck(undefined, body.raw.filename, body.raw.declared, scanner);
      this.#checks.push(this.#current);
    }
  }

  observation(): Observation {
    return { kind: this.#parser === undefined ? 'raw' : 'multipart', refusal: this.#refusal, files: this.files, parts: this.#parts };
  }

  write(chunk: Buffer): void {
    if (this.#refusal !== undefined) return;
    try {
      if (this.#parser !== undefined) this.#parser.write(chunk);
      else this.data(chunk);
    } catch (err) {
      this.#refuse(err);
    }
  }

  end(): void {
    if (this.#refusal === undefined) {
      try {
        if (this.#parser !== undefined) this.#parser.end();
        else this.partEnd();
      } catch (err) {
        this.#refuse(err);
      }
    }
    if (this.#refusal !== undefined) {
      this.#settle([]);
      return;
    }
    // Each file's verdict has been on its way since its part ended.
    this.#settle(Promise.all(this.#done));
  }

  abort(): void {
    for (const c of this.#checks) c.abort();
    this.#settle([]);
  }

  drained(): Promise<void> | undefined {
    let behind: Promise<void>[] | undefined;
    for (const c of this.#checks) {
      const p = c.drained();
      if (p !== undefined) (behind ??= []).push(p);
    }
    return behind === undefined ? undefined : Promise.all(behind).then(() => undefined);
  }

  part(head: PartHead): void {
    this.#parts.push(head);
    if (this.#parts.length > this.#limits.maxParts) throw tooLarge(`more than ${this.#limits.maxParts} parts`);
    // A browser's empty file input (filename="" and no content) is treated as a field below.
    if (head.filename === undefined) return;
    if (this.#checks.length + 1 > this.#limits.maxFiles) throw tooLarge(`more than ${this.#limits.maxFiles} files`);
    this.#current = new FileCheck(head, head.filename, head.contentType, this.#scanner);
    this.#checks.push(this.#current);
  }

  data(chunk: Buffer): void {
    this.#total += chunk.length;
    if (this.#total > this.#limits.maxTotalSize) throw tooLarge(`the parts exceed ${this.#limits.maxTotalSize} bytes`);
    const file = this.#current;
    if (file === undefined) {
      this.#fieldBytes += chunk.length;
      if (this.#fieldBytes > this.#limits.maxPartSize) throw tooLarge(`a form field exceeds ${this.#limits.maxPartSize} bytes`);
      return;
    }
    if (file.size + chunk.length > this.#limits.maxFileSize) throw tooLarge(`a file exceeds ${this.#limits.maxFileSize} bytes`);
    if (this.#scanner !== undefined && file.size + chunk.length > this.#scanner.maxSize) throw tooLarge(`a file exceeds the scan limit of ${this.#scanner.maxSize} bytes`);
    file.write(chunk);
  }

  partEnd(): void {
    const file = this.#current;
    this.#current = undefined;
    this.#fieldBytes = 0;
    if (file === undefined) return;
    const head = this.#parts.at(-1);
    if (head !== undefined && head.filename === '' && file.size === 0) {
      this.#checks.pop();
      file.abort();
      return;
    }
    this.#done.push(file.finish());
  }

  #refuse(err: unknown): void {
    this.#refusal = err instanceof StreamRefusalError
      ? { code: 'PCL_UPLOAD_TOO_LARGE', reason: err.message }
      : { code: 'PCL_UPLOAD_MALFORMED', reason: err instanceof MalformedMultipart ? err.message : `unexpected: ${String(err)}` };
    for (const c of this.#checks) c.abort();
  }
}

class StreamRefusalError extends Error {}

function tooLarge(reason: string): StreamRefusalError {
  return new StreamRefusalError(reason);
}
