/**
 * Comment, command-line and path normalisations.
 */
import type { Transformation } from '../types.js';

const wrap = (f: (s: string) => string): Transformation => (s) => {
  const value = f(s);
  return { value, changed: value !== s };
};

/** C-style comments become one space; an unterminated one runs to the end. @example replaceComments('a/*x*\/b').value // 'a b' */
export const replaceComments: Transformation = wrap((s) => s.replace(/\/\*[\s\S]*?(?:\*\/|$)/g, ' '));

/** Removes `/* *\/`, `<!-- -->`, and `--`/`#` to end of input. @example removeComments('a/*x*\/b').value // 'ab' */
export const removeComments: Transformation = wrap((s) => s.replace(/\/\*[\s\S]*?(?:\*\/|$)|<!--[\s\S]*?(?:-->|$)|(?:--|#)[\s\S]*$/g, ''));

/** Removes comment characters only. @example removeCommentsChar('a/*b').value // 'ab' */
export const removeCommentsChar: Transformation = wrap((s) => s.replace(/\/\*|\*\/|<!--|-->|--|#/g, ''));

/**
 * Windows/Unix command-line normalisation: drops `\ " ' ^`, turns `,;` and
 * whitespace runs into one space, removes spaces before `/` and `(`, lowercases.
 *
 * @example
 * cmdLine('C^md.exe  /C').value // 'cmd.exe/c'
 */
export const cmdLine: Transformation = wrap((s) =>
  s.replace(/[\\"'^]/g, '').replace(/[\s,;]+/g, ' ').replace(/ (?=[/(])/g, '').replace(/[A-Z]+/g, (m) => m.toLowerCase()));

function normalise(s: string): string {
  // Without a slash there is one segment: only '.' (dropped) changes.
  if (!s.includes('/')) return s === '.' ? '' : s;
  const abs = s.startsWith('/');
  const trailing = s.endsWith('/') || /\/\.\.?$/.test(s);
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  let r = (abs ? '/' : '') + out.join('/');
  if (trailing && out.length > 0) r += '/';
  return r === '' ? (abs ? '/' : '') : r;
}

/** Removes `./`, `//` and resolves `../`. @example normalisePath('/a/./b/../c//d').value // '/a/c/d' */
export const normalisePath: Transformation = wrap(normalise);

/** normalisePath after turning `\` into `/`. @example normalisePathWin('a\\..\\b').value // 'b' */
export const normalisePathWin: Transformation = wrap((s) => normalise(s.replace(/\\/g, '/')));
