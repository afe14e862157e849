import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { SpooledBody } from '../pipeline/context.js';

const READ_CHUNK = 65_536;

interface Edit { readonly start: number; readonly end: number; readonly bytes: Buffer }

/**
 * One request body on disk: a file in the process's private spool directory, named by 128
 * random bits (nothing the client sent reaches the name), created with O_EXCL and mode 0600.
 * It is written while the body is read, then read back by position for the upstream, with
 * the edits a stage asked for spliced in. `dispose` unlinks it; it is idempotent, and a
 * read still in flight then fails (its request is over).
 *
 * @example
 * const f = await SpoolFile.create(dir, head);
 * await f.write(chunk);
 * for await (const piece of f.stream()) upstream.write(piece);
 * f.dispose();
 */
export class SpoolFile implements SpooledBody {
  readonly path: string;
  readonly head: Buffer;
  readonly #fh: FileHandle;
  readonly #edits: Edit[] = [];
  #size = 0;
  #disposed = false;

  private constructor(path: string, fh: FileHandle, head: Buffer) {
    this.path = path;
    this.#fh = fh;
    this.head = head;
  }

  /** Creates the file; `head` is kept in memory for stages that read only a prefix. */
  static async create(dir: string, head: Buffer): Promise<SpoolFile> {
    const path = join(dir, randomBytes(16).toString('hex'));
    return new SpoolFile(path, await open(path, 'wx+', 0o600), head);
  }

  get size(): number { return this.#size; }

  /** Bytes the upstream receives: the body with the edits applied. */
  get length(): number {
    let n = this.#size;
    for (const e of this.#edits) n += e.bytes.length - (e.end - e.start);
    return n;
  }

  async write(chunk: Buffer): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      const { bytesWritten } = await this.#fh.write(chunk, at, chunk.length - at, this.#size + at);
      at += bytesWritten;
    }
    this.#size += chunk.length;
  }

  replace(start: number, end: number, bytes: Buffer): void {
    const last = this.#edits.at(-1);
    if (start < (last?.end ?? 0) || end < start || end > this.#size) throw new RangeError(`spooled body edit [${start}, ${end}) out of order or range`);
    this.#edits.push({ start, end, bytes });
  }

  /** The body as forwarded, 64 KiB at a time (each a fresh buffer: the consumer may keep it). */
  async *stream(): AsyncGenerator<Buffer> {
    let at = 0;
    for (const e of this.#edits) {
      yield* this.#range(at, e.start);
      if (e.bytes.length > 0) yield e.bytes;
      at = e.end;
    }
    yield* this.#range(at, this.#size);
  }

  async *#range(from: number, to: number): AsyncGenerator<Buffer> {
    let at = from;
    while (at < to) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, to - at));
      const { bytesRead } = await this.#fh.read(buf, 0, buf.length, at);
      if (bytesRead === 0) throw new Error('the spooled body ended early');
      at += bytesRead;
      yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
    }
  }

  /** Removes the file (synchronously, so no path of the request can end with it on disk). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    try { unlinkSync(this.path); } catch { /* the whole directory was removed at shutdown */ }
    this.#fh.close().catch(() => {});
  }
}
