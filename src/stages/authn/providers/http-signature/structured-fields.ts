/**
 * A minimal RFC 8941 Structured Field Values parser and serializer: the subset HTTP Message
 * Signatures (RFC 9421) and Digest Fields (RFC 9530) need (dictionaries of items or inner
 * lists with parameters; bare items: integer, decimal, string, token, byte sequence, boolean).
 * Any syntax error throws: a malformed signature header is refused, never guessed at.
 */

export type BareItem = number | string | boolean | { readonly token: string } | { readonly bytes: Buffer };
export type Params = ReadonlyMap<string, BareItem>;
export interface Item { readonly value: BareItem; readonly params: Params }
export interface InnerList { readonly items: readonly Item[]; readonly params: Params }
export type Member = Item | InnerList;

export const isInnerList = (m: Member): m is InnerList => 'items' in m;

class Parser {
  readonly #s: string;
  i = 0;
  constructor(s: string) { this.#s = s; }
  get done(): boolean { return this.i >= this.#s.length; }
  peek(): string { return this.#s[this.i] ?? ''; }
  fail(what: string): never { throw new Error(`structured field: ${what} at ${this.i}`); }
  ows(): void { while (this.peek() === ' ' || this.peek() === '\t') this.i++; }
  sp(): void { while (this.peek() === ' ') this.i++; }

  key(): string {
    const m = /^[a-z*][a-z0-9_\-.*]*/.exec(this.#s.slice(this.i, this.i + 256));
    if (m === null) this.fail('key expected');
    this.i += m[0].length;
    return m[0];
  }

  bare(): BareItem {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === ':') return this.bytes();
    if (c === '?') {
      this.i++;
      const b = this.peek();
      if (b !== '0' && b !== '1') this.fail('boolean expected');
      this.i++;
      return b === '1';
    }
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (/[A-Za-z*]/.test(c)) {
      const m = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/.exec(this.#s.slice(this.i));
      this.i += m![0].length;
      return { token: m![0] };
    }
    return this.fail('item expected');
  }

  string(): string {
    this.i++;
    let out = '';
    for (;;) {
      const c = this.peek();
      if (c === '') this.fail('unterminated string');
      this.i++;
      if (c === '"') return out;
      if (c === '\\') {
        const n = this.peek();
        if (n !== '"' && n !== '\\') this.fail('bad escape');
        out += n;
        this.i++;
        continue;
      }
      const code = c.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) this.fail('bad string character');
      out += c;
    }
  }

  bytes(): { bytes: Buffer } {
    const end = this.#s.indexOf(':', this.i + 1);
    if (end === -1) this.fail('unterminated byte sequence');
    const b64 = this.#s.slice(this.i + 1, end);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) this.fail('bad base64');
    this.i = end + 1;
    return { bytes: Buffer.from(b64, 'base64') };
  }

  number(): number {
    const m = /^-?\d{1,15}(\.\d{1,3})?/.exec(this.#s.slice(this.i, this.i + 20));
    if (m === null) this.fail('number expected');
    this.i += m[0].length;
    return Number(m[0]);
  }

  params(): Map<string, BareItem> {
    const out = new Map<string, BareItem>();
    while (this.peek() === ';') {
      this.i++;
      this.sp();
      const k = this.key();
      let v: BareItem = true;
      if (this.peek() === '=') { this.i++; v = this.bare(); }
      out.set(k, v);
    }
    return out;
  }

  member(): Member {
    if (this.peek() !== '(') {
      const value = this.bare();
      return { value, params: this.params() };
    }
    this.i++;
    const items: Item[] = [];
    for (;;) {
      this.sp();
      if (this.peek() === ')') { this.i++; break; }
      const value = this.bare();
      items.push({ value, params: this.params() });
      const c = this.peek();
      if (c !== ' ' && c !== ')') this.fail('inner list separator expected');
    }
    return { items, params: this.params() };
  }
}

/**
 * Parses a Structured Field Dictionary (e.g. `Signature-Input`, `Signature`, `Content-Digest`).
 *
 * @example
 * parseDictionary('sig1=("@method");created=1;keyid="k"').get('sig1');
 */
export function parseDictionary(text: string): Map<string, Member> {
  const p = new Parser(text);
  const out = new Map<string, Member>();
  p.sp();
  while (!p.done) {
    const k = p.key();
    let m: Member = { value: true, params: new Map() };
    if (p.peek() === '=') { p.i++; m = p.member(); } else m = { value: true, params: p.params() };
    out.set(k, m);
    p.ows();
    if (p.done) break;
    if (p.peek() !== ',') p.fail('comma expected');
    p.i++;
    p.ows();
    if (p.done) p.fail('trailing comma');
  }
  return out;
}

/** Serializes a bare item canonically (RFC 8941 section 4.1). */
export function serializeBare(v: BareItem): string {
  if (typeof v === 'boolean') return v ? '?1' : '?0';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  if ('token' in v) return v.token;
  return `:${v.bytes.toString('base64')}:`;
}

/** Serializes parameters (`;k=v;flag`). */
export function serializeParams(params: Params): string {
  let out = '';
  for (const [k, v] of params) out += v === true ? `;${k}` : `;${k}=${serializeBare(v)}`;
  return out;
}

/** Serializes an inner list with its parameters. */
export function serializeInnerList(list: InnerList): string {
  return `(${list.items.map((it) => serializeBare(it.value) + serializeParams(it.params)).join(' ')})${serializeParams(list.params)}`;
}
