/**
 * Test helper: random strings built to match a SecLang pattern (the PCRE subset CRS uses),
 * to check that a literal prefilter never refuses a string the pattern matches. Generation
 * is approximate (anchors, `\b` and lookarounds are ignored, negated classes pick from a
 * small alphabet), so callers keep only the samples the real engine matches.
 */

const PRINTABLE = ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\t\n\r\x0b';
const CLASS_ESCAPES: Record<string, string> = {
  d: '0123456789', w: 'abcxyzABCXYZ019_', s: ' \t\n\r\x0b\f', h: ' \t', v: '\n\x0b\f\r',
};

/** A node of the generator tree. */
export type Node =
  | { t: 'alt'; branches: Node[][] }
  | { t: 'chars'; pick: () => string }
  | { t: 'rep'; node: Node; min: number; max: number }
  | { t: 'none' };

function escapedChar(s: string, i: number): [string, number] {
  const c = s[i]!;
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', e: '\x1b', a: '\x07' };
  if (simple[c] !== undefined) return [simple[c]!, i + 1];
  if (c === 'x') {
    if (s[i + 1] === '{') { const end = s.indexOf('}', i); return [String.fromCodePoint(parseInt(s.slice(i + 2, end), 16)), end + 1]; }
    const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i + 1));
    return m === null ? ['\0', i + 1] : [String.fromCharCode(parseInt(m[0], 16)), i + 1 + m[0].length];
  }
  return [c, i + 1];
}

/**
 * Parses `src` into a generator tree; throws on syntax it does not know (the caller skips the pattern).
 *
 * @example
 * const next = prng(1); generate(parsePattern('a[bc]+d?', next), next) // e.g. 'aCbd'
 */
export function parsePattern(src: string, random: () => number): Node[] {
  let i = 0;
  const pickFrom = (chars: string): (() => string) => () => chars[Math.floor(random() * chars.length)]!;
  function alternation(): Node[] {
    const branches: Node[][] = [sequence()];
    while (src[i] === '|') { i++; branches.push(sequence()); }
    return branches.length === 1 ? branches[0]! : [{ t: 'alt', branches }];
  }
  function sequence(): Node[] {
    const out: Node[] = [];
    while (i < src.length && src[i] !== '|' && src[i] !== ')') out.push(quantified(atom()));
    return out;
  }
  function quantified(node: Node): Node {
    const c = src[i];
    let min: number; let max: number;
    if (c === '*') { min = 0; max = 4; i++; } else if (c === '+') { min = 1; max = 4; i++; } else if (c === '?') { min = 0; max = 1; i++; }
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (m === null) return node;
      min = Number(m[1]); max = m[2] === undefined ? min : m[3] === '' ? min + 4 : Number(m[3]);
      max = Math.min(max, min + 4);
      i += m[0].length;
    } else return node;
    if (src[i] === '?' || src[i] === '+') i++;
    return quantified({ t: 'rep', node, min, max });
  }
  function atom(): Node {
    const c = src[i]!;
    if (c === '(') {
      i++;
      let skip = false;
      if (src[i] === '?') {
        const rest = src.slice(i + 1);
        let m: RegExpExecArray | null;
        if (rest.startsWith(':') || rest.startsWith('>')) i += 2;
        else if (rest.startsWith('=') || rest.startsWith('!')) { i += 2; skip = true; }
        else if (rest.startsWith('<=') || rest.startsWith('<!')) { i += 3; skip = true; }
        else if ((m = /^(P?<[A-Za-z_]\w*>)/.exec(rest)) !== null) i += 1 + m[0].length;
        else if ((m = /^[imsU-]+([:)])/.exec(rest)) !== null) { i += 1 + m[0].length; if (m[1] === ')') return { t: 'none' }; }
        else throw new Error('group syntax');
      }
      const inner = alternation();
      if (src[i] !== ')') throw new Error('unclosed group');
      i++;
      return skip ? { t: 'none' } : { t: 'alt', branches: [inner] };
    }
    if (c === '[') return charClass();
    if (c === '\\') {
      const e = src[i + 1]!;
      if ('bBAzZG'.includes(e)) { i += 2; return { t: 'none' }; }
      if (CLASS_ESCAPES[e.toLowerCase()] !== undefined) {
        i += 2;
        const set = CLASS_ESCAPES[e.toLowerCase()]!;
        return { t: 'chars', pick: pickFrom(e === e.toLowerCase() ? set : [...PRINTABLE].filter((x) => !set.includes(x)).join('')) };
      }
      if (/[0-9A-Za-z]/.test(e) && !'nrtfeax'.includes(e)) throw new Error(`escape \\${e}`);
      const [ch, next] = escapedChar(src, i + 1);
      i = next;
      return { t: 'chars', pick: () => ch };
    }
    i++;
    if (c === '.') return { t: 'chars', pick: pickFrom(PRINTABLE) };
    if (c === '^' || c === '$') return { t: 'none' };
    return { t: 'chars', pick: () => c };
  }
  function charClass(): Node {
    i++;
    const negated = src[i] === '^';
    if (negated) i++;
    let chars = '';
    let first = true;
    for (;;) {
      const c = src[i];
      if (c === undefined) throw new Error('unclosed class');
      if (c === ']' && !first) { i++; break; }
      first = false;
      if (c === '[' && src[i + 1] === ':') throw new Error('POSIX class');
      let ch = c;
      if (c === '\\') {
        const e = src[i + 1]!;
        if (CLASS_ESCAPES[e.toLowerCase()] !== undefined) {
          const set = CLASS_ESCAPES[e.toLowerCase()]!;
          chars += e === e.toLowerCase() ? set : [...PRINTABLE].filter((x) => !set.includes(x)).join('');
          i += 2;
          continue;
        }
        [ch, i] = e === 'b' ? ['\b', i + 2] : escapedChar(src, i + 1);
      } else i++;
      if (src[i] === '-' && src[i + 1] !== ']' && src[i + 1] !== undefined) {
        let hi: string;
        if (src[i + 1] === '\\') [hi, i] = escapedChar(src, i + 2); else { hi = src[i + 1]!; i += 2; }
        for (let k = ch.codePointAt(0)!; k <= hi.codePointAt(0)! && k < ch.codePointAt(0)! + 300; k++) chars += String.fromCodePoint(k);
        continue;
      }
      chars += ch;
    }
    const pool = negated ? [...PRINTABLE].filter((x) => !chars.includes(x)).join('') : chars;
    return pool === '' ? { t: 'none' } : { t: 'chars', pick: pickFrom(pool) };
  }
  const out = alternation();
  if (i !== src.length) throw new Error('unbalanced');
  return out;
}

/**
 * One random string from a parsed pattern; `empty` is the chance an optional part stays empty.
 *
 * @example
 * const next = prng(1); generate(parsePattern('x(?:yz)*', next), next) // e.g. 'xyzYZ'
 */
export function generate(nodes: readonly Node[], random: () => number, empty = 0.5): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'chars') { const ch = n.pick(); out += random() < 0.3 ? ch.toUpperCase() : ch; }
    else if (n.t === 'alt') out += generate(n.branches[Math.floor(random() * n.branches.length)]!, random, empty);
    else if (n.t === 'rep') {
      let k = n.min;
      while (k < n.max && random() >= empty) k++;
      for (let j = 0; j < k; j++) out += generate([n.node], random, empty);
    }
  }
  return out;
}
