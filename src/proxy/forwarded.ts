import { isIP } from 'node:net';
import { canonicalIp } from '../util/cidr.js';

/** The `for`/`by` node of an RFC 7239 element. */
export type ForwardedNode =
  | { readonly kind: 'ip'; readonly ip: string }
  /** `unknown`, or an obfuscated identifier such as `_hidden`: no address to use. */
  | { readonly kind: 'unknown' };

/** One RFC 7239 element (one hop). Values are unquoted; unknown parameters are skipped. */
export interface ForwardedElement {
  readonly for?: ForwardedNode;
  readonly by?: ForwardedNode;
  readonly proto?: string;
  readonly host?: string;
}

// RFC 9110 tchar, indexed by char code.
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/**
 * Parses one element of a `Forwarded` header (the text between two commas), strictly:
 * `name=value` pairs separated by `;`, values a token or a quoted-string, no control
 * characters, no parameter twice, `for`/`by` a valid node. Undefined when malformed.
 *
 * @example
 * parseForwardedElement('for="[2001:db8::1]:4711";proto=https');
 * // { for: { kind: 'ip', ip: '2001:db8::1' }, proto: 'https' }
 */
export function parseForwardedElement(text: string): ForwardedElement | undefined {
  const s = text;
  let i = skipOws(s, 0);
  const end = trimEnd(s);
  const out: { for?: ForwardedNode; by?: ForwardedNode; proto?: string; host?: string } = {};
  while (i < end) {
    if (s.charCodeAt(i) === 59 /* ; */) {
      i = skipOws(s, i + 1);
      continue;
    }
    const nameStart = i;
    while (i < end && isTchar(s.charCodeAt(i))) i++;
    if (i === nameStart || s.charCodeAt(i) !== 61 /* = */) return undefined;
    const name = s.slice(nameStart, i).toLowerCase();
    i++;
    let value: string;
    if (s.charCodeAt(i) === 34 /* " */) {
      const q = readQuoted(s, i, end);
      if (q === undefined) return undefined;
      value = q.value;
      i = q.next;
    } else {
      const valueStart = i;
      while (i < end && isTchar(s.charCodeAt(i))) i++;
      if (i === valueStart) return undefined;
      value = s.slice(valueStart, i);
    }
    if (name === 'for' || name === 'by') {
      if (out[name] !== undefined) return undefined;
      const node = parseNode(value);
      if (node === undefined) return undefined;
      out[name] = node;
    } else if (name === 'proto' || name === 'host') {
      if (out[name] !== undefined) return undefined;
      out[name] = value;
    }
    i = skipOws(s, i);
    if (i < end && s.charCodeAt(i) !== 59) return undefined;
  }
  return out;
}

function readQuoted(s: string, start: number, end: number): { value: string; next: number } | undefined {
  let value = '';
  let i = start + 1;
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c === 34) return { value, next: i + 1 };
    if (c === 92 /* \ */) {
      const n = s.charCodeAt(i + 1);
      if (i + 1 >= end || !isQdChar(n, true)) return undefined;
      value += s[i + 1];
      i += 2;
      continue;
    }
    if (!isQdChar(c, false)) return undefined;
    value += s[i];
    i++;
  }
  return undefined;
}

/** qdtext (or the escaped char of a quoted-pair): HTAB, SP, visible ASCII, obs-text; never CTLs. */
function isQdChar(c: number, escaped: boolean): boolean {
  if (c === 9 || c === 32) return true;
  if (c === 34 || c === 92) return escaped;
  return (c > 32 && c < 127) || (c >= 128 && c <= 255);
}

/** RFC 7239 node: `unknown`, `_obfuscated`, `a.b.c.d[:port]`, `[v6][:port]`. */
function parseNode(value: string): ForwardedNode | undefined {
  if (value.toLowerCase() === 'unknown' || value.charCodeAt(0) === 95 /* _ */) {
    return isObfString(value, 0) || value.toLowerCase() === 'unknown' ? { kind: 'unknown' } : undefined;
  }
  let host = value;
  let rest = '';
  if (value.charCodeAt(0) === 91 /* [ */) {
    const close = value.indexOf(']');
    if (close === -1) return undefined;
    host = value.slice(1, close);
    if (isIP(host) !== 6) return undefined;
    rest = value.slice(close + 1);
  } else {
    const colon = value.indexOf(':');
    if (colon !== -1) {
      host = value.slice(0, colon);
      rest = value.slice(colon);
    }
    if (isIP(host) !== 4) return undefined;
  }
  if (rest !== '' && !isNodePort(rest)) return undefined;
  const ip = canonicalIp(host);
  return ip === undefined ? undefined : { kind: 'ip', ip };
}

/** `:` then 1-5 digits, or `:_` then an obfuscated port. */
function isNodePort(rest: string): boolean {
  if (rest.charCodeAt(0) !== 58 || rest.length < 2) return false;
  if (rest.charCodeAt(1) === 95) return isObfString(rest, 1);
  if (rest.length > 6) return false;
  for (let i = 1; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `_` followed by ALPHA / DIGIT / "." / "_" / "-". */
function isObfString(s: string, from: number): boolean {
  if (s.charCodeAt(from) !== 95 || s.length - from < 2) return false;
  for (let i = from + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 46 || c === 95 || c === 45;
    if (!ok) return false;
  }
  return true;
}

/**
 * Formats one element for the `Forwarded` header Portcullis sends. IPv6 nodes and values
 * that are not tokens (a host with a port) are quoted, as RFC 7239 requires.
 * The caller passes validated values (an ip, 'http'/'https', a host from `parseHost`).
 *
 * @example
 * formatForwardedElement({ for: '::1', proto: 'https', host: 'api.example.com:8443' });
 * // 'for="[::1]";proto=https;host="api.example.com:8443"'
 */
export function formatForwardedElement(e: { for: string; proto: string; host?: string }): string {
  const node = e.for.includes(':') ? `"[${e.for}]"` : e.for === '' ? 'unknown' : e.for;
  let out = `for=${node};proto=${e.proto}`;
  if (e.host !== undefined && e.host !== '') out += `;host=${isToken(e.host) ? e.host : `"${e.host}"`}`;
  return out;
}

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return s.length > 0;
}

function skipOws(s: string, i: number): number {
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

function trimEnd(s: string): number {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return end;
}
