/**
 * SecLang lexer: turns a rule file into directives (name + raw arguments) with
 * their source position, so every later error can say file:line.
 */
import { WafLoadError } from './errors.js';

/** One directive as written: `SecRule ARGS "@rx x" "id:1"` → name + 3 args. */
export interface RawDirective {
  readonly name: string;
  readonly args: readonly string[];
  readonly file: string;
  readonly line: number;
}

/**
 * Splits SecLang text into directives: joins `\`-continued lines, drops
 * comments and blank lines, and splits arguments honouring double quotes.
 *
 * @example
 * lexSecLang('SecRuleEngine On\n', 'a.conf') // [{ name: 'SecRuleEngine', args: ['On'], file: 'a.conf', line: 1 }]
 */
export function lexSecLang(text: string, file: string): RawDirective[] {
  return [...lexDirectives(text, file)];
}

/**
 * lexSecLang one directive at a time: CRS's 932 file is 120 KB, 9 ms of lexing warm and 20
 * cold, which a reload's slices take one directive each (ADR 0039). A bad quote throws when
 * its directive is reached.
 *
 * @example
 * for (const d of lexDirectives(text, 'a.conf')) apply(d);
 */
export function* lexDirectives(text: string, file: string): Generator<RawDirective, void, void> {
  const lines = text.split(/\r?\n/);
  let buf = '';
  let startLine = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (buf === '') {
      const t = raw.trim();
      if (t === '' || t.startsWith('#')) continue;
      startLine = i + 1;
    }
    // A trailing backslash joins the next physical line (ModSecurity keeps no separator).
    const trimmedEnd = raw.replace(/\s+$/, '');
    if (trimmedEnd.endsWith('\\')) {
      buf += trimmedEnd.slice(0, -1);
      continue;
    }
    buf += raw;
    const d = splitDirective(buf.trim(), file, startLine);
    buf = '';
    if (d) yield d;
  }
  if (buf.trim() !== '') {
    const d = splitDirective(buf.trim(), file, startLine);
    if (d) yield d;
  }
}

function splitDirective(text: string, file: string, line: number): RawDirective | undefined {
  const args: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i] ?? '')) i++;
    if (i >= n) break;
    if (text[i] === '"') {
      i++;
      let s = '';
      let closed = false;
      while (i < n) {
        const c = text[i] as string;
        // Apache's config reader (ModSecurity 2, CRS's reference) unescapes \" and \\ inside quotes:
        // CRS 3.3 writes a literal backslash in a pattern as \\\\ (920460, 932200...).
        if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) { s += text[i + 1]; i += 2; continue; }
        if (c === '"') { closed = true; i++; break; }
        s += c;
        i++;
      }
      if (!closed) throw new WafLoadError('unterminated double quote', file, line);
      args.push(s);
    } else {
      let s = '';
      while (i < n && !/\s/.test(text[i] ?? '')) { s += text[i]; i++; }
      args.push(s);
    }
  }
  const name = args.shift();
  if (name === undefined) return undefined;
  return { name, args, file, line };
}
