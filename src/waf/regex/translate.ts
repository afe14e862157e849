/**
 * PCRE → JS RegExp translation for the subset RE2 also accepts. Anything
 * outside that subset is an error, so a loaded rule set stays linear-time-ready.
 */

/** Raised for patterns RE2 cannot express. */
export class UnsupportedPatternError extends Error {
  /** @example new UnsupportedPatternError('backreference') */
  constructor(what: string) {
    super(`pattern not RE2-compatible: ${what}`);
    this.name = 'UnsupportedPatternError';
  }
}

/**
 * Translates leading `(?i)`/`(?s)` flags, `(?i:...)` groups, `\A`, `\z`, `\Z`, and refuses
 * backreferences, lookarounds, atomic groups and possessive quantifiers.
 *
 * @example
 * translatePcre('(?i)ab') // { source: 'ab', flags: 'si' }
 */
export function translatePcre(pattern: string, options: { expandCase?: boolean } = {}): { source: string; flags: string } {
  let p = pattern;
  let flags = 's';
  // V8's linear-time engine has no `i` flag: case-insensitivity is then spelled out as [aA].
  const expandCase = options.expandCase === true;
  let leadCi = false;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(p);
  if (lead) {
    for (const f of lead[1] ?? '') {
      if (f === 'i' && expandCase) leadCi = true;
      else if (f === 'i' && !flags.includes('i')) flags += 'i';
      else if (f === 's') continue;
      else if (f === 'm') flags += flags.includes('m') ? '' : 'm';
      else throw new UnsupportedPatternError(`inline flag ${f}`);
    }
    p = p.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  let classBody = '';
  // Stack of open groups; true when the group is case-insensitive via (?i:.
  const groups: boolean[] = [];
  let topCi = leadCi;
  const ci = (): boolean => topCi || groups.includes(true);
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      if (/[1-9]/.test(n) || n === 'k') throw new UnsupportedPatternError('backreference');
      let esc = c + n;
      if (n === 'A') esc = '^';
      else if (n === 'z') esc = '$';
      else if (n === 'Z') esc = '(?:\\n?$)';
      else if (n === 'x' && p[i + 2] === '{') {
        const end = p.indexOf('}', i);
        esc = `\\u${p.slice(i + 3, end).padStart(4, '0')}`;
        i = end - 1;
      }
      i++;
      if (inClass) classBody += esc;
      else out += esc;
      continue;
    }
    if (inClass) {
      if (c === ']' && classBody !== '' && classBody !== '^') {
        out += `[${classBody}${ci() ? swapCaseClass(classBody) : ''}]`;
        inClass = false;
        classBody = '';
        continue;
      }
      if (c === '[' && p[i + 1] === ':') {
        const end = p.indexOf(':]', i);
        classBody += posixClass(p.slice(i + 2, end));
        i = end + 1;
        continue;
      }
      classBody += c;
      continue;
    }
    if (c === '[') { inClass = true; classBody = ''; continue; }
    if (c === '(') {
      const mid = /^\(\?([is]+)\)/.exec(p.slice(i, i + 6));
      if (mid) {
        // A flag group mid-pattern applies until the enclosing group closes (RE2/PCRE).
        if ((mid[1] ?? '').includes('i')) { if (groups.length === 0) topCi = true; else groups[groups.length - 1] = true; }
        i += mid[0].length - 1;
        continue;
      }
      if (p.startsWith('(?i:', i)) { groups.push(true); out += '(?:'; i += 3; continue; }
      if (/^\(\?(?:[=!]|<[=!])/.test(p.slice(i, i + 4))) throw new UnsupportedPatternError('lookaround');
      if (p.startsWith('(?>', i)) throw new UnsupportedPatternError('atomic group');
      if (p.startsWith('(?P<', i)) { groups.push(false); out += '(?<'; i += 3; continue; }
      groups.push(false);
      out += c;
      continue;
    }
    if (c === ')') { groups.pop(); out += c; continue; }
    if (c === '+' && /[*+?}]/.test(p[i - 1] ?? '') && p[i - 2] !== '\\') throw new UnsupportedPatternError('possessive quantifier');
    if (ci() && /[a-zA-Z]/.test(c)) { out += `[${c.toLowerCase()}${c.toUpperCase()}]`; continue; }
    out += c;
  }
  return { source: out, flags };
}

function swapCaseClass(body: string): string {
  // Add the other case of bare letters and letter ranges; escapes (\d, \x41) stay as they are.
  let extra = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c === '\\') { i++; continue; }
    if (/[a-zA-Z]/.test(c)) {
      if (body[i + 1] === '-' && /[a-zA-Z]/.test(body[i + 2] ?? '')) {
        extra += swap(c) + '-' + swap(body[i + 2] as string);
        i += 2;
      } else {
        extra += swap(c);
      }
    }
  }
  return extra;
}

function swap(c: string): string {
  return c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase();
}

function posixClass(name: string): string {
  const map: Record<string, string> = {
    alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s',
    xdigit: '0-9a-fA-F', punct: '!-\\/:-@\\[-`{-~', word: '\\w', cntrl: '\\x00-\\x1f\\x7f', print: '\\x20-\\x7e', graph: '\\x21-\\x7e',
  };
  const r = map[name];
  if (r === undefined) throw new UnsupportedPatternError(`POSIX class ${name}`);
  return r;
}
