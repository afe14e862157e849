/**
 * Per-request WAF state built from plain values (no HTTP objects), so the
 * engine runs the same from a unit test and from the gateway.
 */
import { randomUUID } from 'node:crypto';
import { Collection } from './collection.js';
import { toByteString, bytesToByteString } from './bytes.js';
import type { MacroScope } from './macro.js';
import { parseUrlEncoded } from './body/urlencoded.js';
import { processBody } from './body/process.js';
import { isMatchedName, MatchedState, type MatchedSink } from './matched.js';

/** The request as the engine needs it. Strings are ordinary (UTF-16) JS strings. */
export interface TransactionInput {
  readonly method: string;
  /** Request target as sent: `/path?query` (or absolute form). */
  readonly uri: string;
  readonly protocol?: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Uint8Array;
  readonly remoteAddr?: string;
  readonly remotePort?: number;
  readonly serverPort?: number;
}

/** A response for phases 3-4. */
export interface ResponseInput {
  readonly status: number;
  readonly protocol?: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Uint8Array;
}

/** The collections every transaction starts with; body ones fill in at phase 2. */
const COLLECTION_NAMES = [
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'ARGS_NAMES', 'ARGS_GET_NAMES', 'ARGS_POST_NAMES',
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES',
  'FILES', 'FILES_NAMES', 'FILES_SIZES', 'FILES_TMPNAMES', 'MULTIPART_PART_HEADERS', 'MULTIPART_FILENAME', 'MULTIPART_NAME', 'XML', 'TX', 'IP', 'GLOBAL', 'SESSION', 'USER', 'ENV', 'GEO',
  'MATCHED_VARS', 'MATCHED_VARS_NAMES', 'RESPONSE_HEADERS', 'RESPONSE_HEADERS_NAMES', 'RULE',
] as const;

/**
 * @example
 * const tx = new Transaction({ method: 'GET', uri: '/?a=1', headers: [['Host', 'x']] });
 * tx.collection('ARGS').first('a') // '1'
 */
export class Transaction implements MacroScope, MatchedSink {
  readonly id: string;
  readonly input: TransactionInput;
  readonly startedAt = performance.now();
  readonly #scalars = new Map<string, string>();
  readonly #collections = new Map<string, Collection>();
  readonly #tx: Collection;
  /** MATCHED_VAR(S), MATCHED_VAR(S)_NAME(S) and RULE, written when read (ADR 0036). */
  readonly matched = new MatchedState();
  /** Per-transaction rule changes made by ctl actions. */
  readonly removedRuleIds: Array<[number, number]> = [];
  readonly removedTags: string[] = [];
  readonly removedTargets = new Map<number, Array<{ collection: string; key: string | undefined }>>();
  readonly removedTargetsByTag: Array<{ tag: string; collection: string; key: string | undefined }> = [];
  engineMode: 'On' | 'DetectionOnly' | 'Off' | undefined;
  #bodyProcessor: string | undefined;
  /** The request body processor; REQBODY_PROCESSOR follows it from phase 1 on (CRS 920400/920540 read it there). */
  get bodyProcessor(): string | undefined {
    return this.#bodyProcessor;
  }
  set bodyProcessor(name: string | undefined) {
    this.#bodyProcessor = name;
    this.#scalars.set('REQBODY_PROCESSOR', name ?? '');
  }
  bodyProcessed = false;
  initialised = false;
  forceRequestBodyVariable = false;
  interrupted: { status: number; ruleId: number; action: string } | undefined;
  allowed = false;
  requestBodyAccess = true;
  requestBodyLimit = 13107200;

  constructor(input: TransactionInput, id: string = randomUUID()) {
    this.id = id;
    this.input = input;
    for (const n of COLLECTION_NAMES) this.#collections.set(n, new Collection());
    this.#tx = this.#collections.get('TX')!;
    this.#fillRequestLine();
    this.#fillHeaders();
    this.bodyProcessor = defaultProcessor(this.#scalars.get('REQUEST_CONTENT_TYPE') ?? '');
  }

  /** Scalars: REQUEST_METHOD, QUERY_STRING... (byte strings), with the match bookkeeping written. */
  get scalars(): Map<string, string> {
    if (this.matched.pending) this.matched.settle(this);
    return this.#scalars;
  }

  /**
   * The scalars as they are, the match bookkeeping perhaps not written: for the engine's readers
   * that settle it themselves when they read one of its names (resolve.ts, group-scan.ts).
   */
  get scalarMap(): Map<string, string> {
    return this.#scalars;
  }

  collection(name: string): Collection {
    if (this.matched.pending && isMatchedName(name)) this.matched.settle(this);
    return this.rawCollection(name);
  }

  /** A collection as it is (see scalarMap). */
  rawCollection(name: string): Collection {
    let c = this.#collections.get(name);
    if (!c) { c = new Collection(); this.#collections.set(name, c); }
    return c;
  }

  get tx(): Collection {
    return this.#tx;
  }

  /** The names of the collections this transaction holds (for snapshots: transaction-state.ts). */
  collectionNames(): IterableIterator<string> {
    if (this.matched.pending) this.matched.settle(this);
    return this.#collections.keys();
  }

  /** Parses the body with the chosen processor; idempotent, called before phase 2. */
  processRequestBody(): void {
    if (this.bodyProcessed) return;
    this.bodyProcessed = true;
    const raw = this.input.body;
    if (!raw || raw.byteLength === 0 || !this.requestBodyAccess) {
      this.#scalars.set('REQUEST_BODY_LENGTH', String(raw?.byteLength ?? 0));
      return;
    }
    // Over the limit only the first bytes are parsed; INBOUND_DATA_ERROR says so (ModSecurity),
    // and evaluate() rejects the request first unless SecRequestBodyLimitAction is ProcessPartial.
    const over = raw.byteLength > this.requestBodyLimit;
    this.#scalars.set('INBOUND_DATA_ERROR', over ? '1' : '0');
    const limited = over ? raw.subarray(0, this.requestBodyLimit) : raw;
    const body = bytesToByteString(limited);
    this.#scalars.set('REQUEST_BODY_LENGTH', String(raw.byteLength));
    const res = processBody(this.bodyProcessor, body, this.#scalars.get('REQUEST_CONTENT_TYPE') ?? '', this);
    if (res.exposeRawBody || this.forceRequestBodyVariable) this.#scalars.set('REQUEST_BODY', body);
    this.#scalars.set('REQBODY_ERROR', res.error ? '1' : '0');
    this.#scalars.set('REQBODY_PROCESSOR_ERROR', res.error ? '1' : '0');
    if (res.error) this.#scalars.set('REQBODY_ERROR_MSG', res.error);
    this.#updateArgSizes();
  }

  /** Adds one body argument (ARGS_POST + ARGS + names). */
  addPostArg(name: string, value: string): void {
    const lname = name.toLowerCase();
    this.collection('ARGS_POST').add(name, value, lname);
    this.collection('ARGS').add(name, value, lname);
    this.collection('ARGS_POST_NAMES').add(name, name, lname);
    this.collection('ARGS_NAMES').add(name, name, lname);
  }

  setResponse(res: ResponseInput): void {
    this.#scalars.set('RESPONSE_STATUS', String(res.status));
    this.#scalars.set('RESPONSE_PROTOCOL', res.protocol ?? 'HTTP/1.1');
    const h = this.collection('RESPONSE_HEADERS');
    const hn = this.collection('RESPONSE_HEADERS_NAMES');
    for (const [k, v] of res.headers) {
      h.add(toByteString(k), toByteString(v));
      hn.add(toByteString(k), toByteString(k));
      if (k.toLowerCase() === 'content-type') this.#scalars.set('RESPONSE_CONTENT_TYPE', toByteString(v));
    }
    if (res.body) {
      this.#scalars.set('RESPONSE_BODY', bytesToByteString(res.body));
      this.#scalars.set('RESPONSE_CONTENT_LENGTH', String(res.body.byteLength));
    }
  }

  resolveMacro(collection: string, key: string | undefined): string {
    if (this.matched.pending && isMatchedName(collection)) this.matched.settle(this);
    if (key === undefined) return this.#scalars.get(collection) ?? this.rawCollection(collection).all()[0]?.value ?? '';
    const c = this.#collections.get(collection);
    if (c) return c.getLower(key)[0]?.value ?? '';
    return this.#scalars.get(collection) ?? '';
  }

  #fillRequestLine(): void {
    const { method, uri } = this.input;
    const protocol = this.input.protocol ?? 'HTTP/1.1';
    const rawUri = toByteString(uri);
    let path = rawUri;
    const m = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(path);
    if (m) path = path.slice(m[0].length) || '/';
    const q = path.indexOf('?');
    // REQUEST_FILENAME is the percent-decoded path, as in ModSecurity and Coraza ('+' stays).
    const filename = percentDecode(q === -1 ? path : path.slice(0, q));
    const query = q === -1 ? '' : path.slice(q + 1);
    const s = this.#scalars;
    s.set('REQUEST_METHOD', method);
    s.set('REQUEST_PROTOCOL', protocol);
    s.set('REQUEST_URI_RAW', rawUri);
    s.set('REQUEST_URI', path);
    s.set('REQUEST_FILENAME', filename);
    s.set('REQUEST_BASENAME', filename.slice(filename.lastIndexOf('/') + 1));
    s.set('QUERY_STRING', query);
    s.set('REQUEST_LINE', `${method} ${rawUri} ${protocol}`);
    s.set('REMOTE_ADDR', this.input.remoteAddr ?? '127.0.0.1');
    s.set('REMOTE_PORT', String(this.input.remotePort ?? 0));
    s.set('SERVER_PORT', String(this.input.serverPort ?? 80));
    s.set('UNIQUE_ID', this.id);
    s.set('REQBODY_ERROR', '0');
    s.set('REQUEST_BODY_LENGTH', '0');
    for (const [k, v] of parseUrlEncoded(query)) {
      const lk = k.toLowerCase();
      this.collection('ARGS_GET').add(k, v, lk);
      this.collection('ARGS').add(k, v, lk);
      this.collection('ARGS_GET_NAMES').add(k, k, lk);
      this.collection('ARGS_NAMES').add(k, k, lk);
    }
    this.#updateArgSizes();
  }

  #fillHeaders(): void {
    const h = this.collection('REQUEST_HEADERS');
    const hn = this.collection('REQUEST_HEADERS_NAMES');
    for (const [rk, rv] of this.input.headers) {
      const k = toByteString(rk);
      const v = toByteString(rv);
      const lk = k.toLowerCase();
      h.add(k, v, lk);
      hn.add(k, k, lk);
      if (lk === 'content-type') this.#scalars.set('REQUEST_CONTENT_TYPE', v);
      if (lk === 'host') this.#scalars.set('SERVER_NAME', v.replace(/:\d+$/, ''));
      if (lk === 'cookie') {
        for (const part of v.split(';')) {
          const t = part.replace(/^\s+/, '');
          if (t === '') continue;
          const eq = t.indexOf('=');
          const name = eq === -1 ? t : t.slice(0, eq);
          this.collection('REQUEST_COOKIES').add(name, eq === -1 ? '' : t.slice(eq + 1));
          this.collection('REQUEST_COOKIES_NAMES').add(name, name);
        }
      }
    }
  }

  #updateArgSizes(): void {
    let n = 0;
    for (const e of this.collection('ARGS').all()) n += e.key.length + e.value.length;
    this.#scalars.set('ARGS_COMBINED_SIZE', String(n));
  }
}

function defaultProcessor(contentType: string): string | undefined {
  const ct = contentType.toLowerCase();
  if (ct.startsWith('application/x-www-form-urlencoded')) return 'URLENCODED';
  if (ct.startsWith('multipart/form-data')) return 'MULTIPART';
  if (/^application\/(?:[a-z0-9.+-]*\+)?json/.test(ct)) return 'JSON';
  if (/^(?:application(?:\/soap\+|\/)|text\/)xml/.test(ct)) return 'XML';
  return undefined;
}

function percentDecode(s: string): string {
  return s.includes('%') ? s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) : s;
}
