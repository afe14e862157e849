import { createHash, type Hash } from 'node:crypto';
import { ClamdStream, type ClamdAddress, type ScanVerdict } from './clamd.js';
import { DETECT_HEAD_BYTES, TextSniffer, detectType, type DetectedType } from './detect.js';
import type { PartHead } from './multipart.js';
import type { VerdictCache } from './verdict-cache.js';

/** How files are scanned (compiled from `scan`). */
export interface Scanner {
  readonly address: ClamdAddress;
  readonly timeoutMs: number;
  readonly maxSize: number;
  readonly cache: VerdictCache;
}

/** Everything known about one file once it has arrived whole. */
export interface FileOutcome {
  /** The multipart part (undefined for a raw body). */
  readonly part: PartHead | undefined;
  readonly filename: string | undefined;
  readonly declared: string | undefined;
  readonly size: number;
  readonly sha256: string;
  readonly detected: DetectedType;
  /** clamd's verdict (undefined when scanning is not configured). */
  readonly scan: ScanVerdict | undefined;
}

/**
 * Follows one file while it streams: its size, SHA-256, the head bytes type detection
 * needs, whether it is text, and a clamd INSTREAM scan fed chunk by chunk. Holds at most
 * DETECT_HEAD_BYTES of its own (the chunks are the buffered body's).
 */
export class FileCheck {
  readonly #part: PartHead | undefined;
  readonly #filename: string | undefined;
  readonly #declared: string | undefined;
  readonly #scanner: Scanner | undefined;
  readonly #hash: Hash = createHash('sha256');
  readonly #text = new TextSniffer();
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #size = 0;
  #scan: ClamdStream | undefined;

  constructor(part: PartHead | undefined, filename: string | undefined, declared: string | undefined, scanner: Scanner | undefined) {
    this.#part = part;
    this.#filename = filename;
    this.#declared = declared;
    this.#scanner = scanner;
  }

  get size(): number { return this.#size; }

  write(chunk: Buffer): void {
    this.#size += chunk.length;
    this.#hash.update(chunk);
    this.#text.write(chunk);
    if (this.#headBytes < DETECT_HEAD_BYTES) {
      const take = chunk.subarray(0, DETECT_HEAD_BYTES - this.#headBytes);
      this.#head.push(take);
      this.#headBytes += take.length;
    }
    const scanner = this.#scanner;
    if (scanner === undefined) return;
    // The connection opens with the first byte, so clamd reads the file while the client still sends it.
    this.#scan ??= new ClamdStream(scanner.address, scanner.timeoutMs);
    this.#scan.write(chunk);
  }

  /** The file is complete: detection runs, and the verdict comes from the cache or from clamd. */
  async finish(): Promise<FileOutcome> {
    const sha256 = this.#hash.digest('hex');
    // A detector failure must not reject (an unawaited rejection would end the process): unknown binary then.
    const detected = await detectType(Buffer.concat(this.#head, this.#headBytes), this.#text.end()).catch(() => ({ mime: 'application/octet-stream', ext: 'bin' }));
    let scan: ScanVerdict | undefined;
    const scanner = this.#scanner;
    if (scanner !== undefined) {
      const cached = scanner.cache.get(sha256);
      if (cached !== undefined) {
        this.#scan?.abort();
        scan = cached;
      } else {
        // An empty file never opened a connection: clamd still gets to judge it.
        this.#scan ??= new ClamdStream(scanner.address, scanner.timeoutMs);
        scan = await this.#scan.finish();
        scanner.cache.set(sha256, scan);
      }
    }
    return { part: this.#part, filename: this.#filename, declared: this.#declared, size: this.#size, sha256, detected, scan };
  }

  abort(): void {
    this.#scan?.abort();
  }

  /** Set while clamd has not yet taken what was sent to it (see ClamdStream.drained). */
  drained(): Promise<void> | undefined {
    return this.#scan?.drained();
  }
}
