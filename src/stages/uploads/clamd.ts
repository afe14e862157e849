import net from 'node:net';

/**
 * A client for clamd's INSTREAM command, written over node:net rather than taken from npm:
 * the protocol is four steps (`zINSTREAM\0`, length-prefixed chunks, a zero length, one
 * NUL-terminated reply line), the npm clients buffer whole files or read them from disk
 * (the gateway streams them while they arrive and writes nothing to disk), and a security
 * path gains nothing from a dependency it does not need.
 */

/** Where clamd listens. */
export type ClamdAddress = { readonly host: string; readonly port: number } | { readonly path: string };

/** What clamd said about one file. */
export type ScanVerdict =
  | { readonly kind: 'clean' }
  | { readonly kind: 'infected'; readonly signature: string }
  /** clamd could not be reached, timed out, or answered an error (reason for logs only). */
  | { readonly kind: 'unavailable'; readonly reason: string };

/**
 * Parses `tcp://host:port` or `unix:/path` (the schema has checked the shape).
 *
 * @example
 * parseClamdAddress('tcp://127.0.0.1:3310'); // { host: '127.0.0.1', port: 3310 }
 */
export function parseClamdAddress(text: string): ClamdAddress {
  if (text.startsWith('unix:')) return { path: text.slice('unix:'.length) };
  const rest = text.slice('tcp://'.length);
  const colon = rest.lastIndexOf(':');
  const port = Number(rest.slice(colon + 1));
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`clamd address ${text}: the port must be 1-65535`);
  return { host: rest.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port };
}

const END = Buffer.alloc(4);
const MAX_REPLY = 4096;

/** Reads one clamd reply line ("stream: OK", "stream: <name> FOUND", "... ERROR"). */
export function parseReply(reply: string): ScanVerdict {
  const line = reply.replace(/\0$/, '').trim();
  if (line.endsWith(' FOUND')) {
    const body = line.slice(0, -' FOUND'.length);
    const colon = body.indexOf(': ');
    return { kind: 'infected', signature: (colon >= 0 ? body.slice(colon + 2) : body).slice(0, 200) };
  }
  if (/: OK$/.test(line)) return { kind: 'clean' };
  return { kind: 'unavailable', reason: `clamd answered: ${line.slice(0, 200)}` };
}

/**
 * One INSTREAM scan: bytes are sent as they are written, the verdict is awaited after
 * `finish()`. Never throws: a failure is an `unavailable` verdict.
 *
 * @example
 * const scan = new ClamdStream({ host: '127.0.0.1', port: 3310 }, 10_000);
 * scan.write(chunk);
 * const verdict = await scan.finish();
 */
export class ClamdStream {
  readonly #socket: net.Socket;
  readonly #timeoutMs: number;
  #reply = '';
  #failure: string | undefined = undefined;
  #done = false;
  #settle: ((v: ScanVerdict) => void) | undefined = undefined;

  constructor(address: ClamdAddress, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    this.#socket = net.connect(address as net.NetConnectOpts);
    this.#socket.setNoDelay(true);
    this.#socket.write('zINSTREAM\0');
    this.#socket.on('data', (d: Buffer) => {
      this.#reply += d.toString('latin1');
      if (this.#reply.includes('\0') || this.#reply.length > MAX_REPLY) this.#conclude(parseReply(this.#reply.slice(0, MAX_REPLY)));
    });
    this.#socket.on('error', (err) => { this.#failure ??= err.message; this.#conclude(undefined); });
    this.#socket.on('close', () => { this.#conclude(undefined); });
  }

  /** Sends a chunk (framed with its length); ignored once clamd has answered or failed. */
  write(chunk: Buffer): void {
    if (this.#done || this.#failure !== undefined || chunk.length === 0 || this.#socket.destroyed) return;
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(chunk.length, 0);
    this.#socket.cork();
    this.#socket.write(len);
    this.#socket.write(chunk);
    this.#socket.uncork();
  }

  /**
   * Set when clamd is reading slower than the body arrives (the socket's buffer is past its
   * high-water mark): resolves once it drained, or after timeoutMs, when the scan is given up
   * as `unavailable` (a stalled clamd must not hold the client's upload, nor have it queue in
   * the gateway's memory). Undefined when nothing waits.
   */
  drained(): Promise<void> | undefined {
    if (this.#done || !this.#socket.writableNeedDrain) return undefined;
    return new Promise<void>((resolve) => {
      const settle = () => {
        clearTimeout(timer);
        this.#socket.off('drain', settle);
        this.#socket.off('close', settle);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#failure ??= `clamd read nothing within ${this.#timeoutMs} ms`;
        this.#conclude(undefined);
        settle();
      }, this.#timeoutMs);
      timer.unref();
      this.#socket.once('drain', settle);
      this.#socket.once('close', settle);
    });
  }

  /** Ends the stream and waits (at most timeoutMs) for clamd's verdict. */
  finish(): Promise<ScanVerdict> {
    return new Promise<ScanVerdict>((resolve) => {
      const timer = setTimeout(() => { this.#failure ??= `no answer within ${this.#timeoutMs} ms`; this.#conclude(undefined); }, this.#timeoutMs);
      timer.unref();
      this.#settle = (v) => { clearTimeout(timer); resolve(v); };
      if (this.#done) { this.#deliver(); return; }
      if (!this.#socket.destroyed) this.#socket.write(END);
    });
  }

  /** Drops the scan (the verdict is known otherwise, or the request is gone). */
  abort(): void {
    this.#failure ??= 'aborted';
    this.#socket.destroy();
  }

  #verdict: ScanVerdict | undefined = undefined;

  #conclude(v: ScanVerdict | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#verdict = v ?? { kind: 'unavailable', reason: this.#failure ?? 'clamd closed the connection without an answer' };
    this.#socket.destroy();
    this.#deliver();
  }

  #deliver(): void {
    const settle = this.#settle;
    if (settle === undefined || this.#verdict === undefined) return;
    this.#settle = undefined;
    settle(this.#verdict);
  }
}

/**
 * Sends PING and resolves true on PONG (tests wait on it; operators can use it as a probe).
 *
 * @example
 * await clamdPing({ path: '/run/clamav/clamd.ctl' }, 1000);
 */
export function clamdPing(address: ClamdAddress, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(address as net.NetConnectOpts);
    let reply = '';
    const done = (ok: boolean) => { clearTimeout(timer); socket.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('zPING\0'));
    socket.on('data', (d: Buffer) => { reply += d.toString('latin1'); if (reply.includes('\0')) done(reply.startsWith('PONG')); });
    socket.on('error', () => done(false));
    socket.on('close', () => done(reply.startsWith('PONG')));
  });
}
