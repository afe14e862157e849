/**
 * Splits a SecLang action list (`id:1,phase:2,msg:'a, b',t:none`) into name/value pairs.
 */
import { WafLoadError } from './errors.js';

/** One action as written. `value` is undefined for bare actions like `pass`. */
export interface RawAction {
  readonly name: string;
  readonly value: string | undefined;
}

/**
 * Parses an action list honouring single quotes around values.
 *
 * @example
 * parseActionList("id:5,msg:'a, b',pass") // [{name:'id',value:'5'},{name:'msg',value:'a, b'},{name:'pass',value:undefined}]
 */
export function parseActionList(text: string, file = '<inline>', line = 0): RawAction[] {
  const out: RawAction[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && (text[i] === ',' || /\s/.test(text[i] ?? ''))) i++;
    if (i >= n) break;
    let name = '';
    while (i < n && text[i] !== ':' && text[i] !== ',') { name += text[i]; i++; }
    name = name.trim();
    if (text[i] !== ':') { out.push({ name: name.toLowerCase(), value: undefined }); continue; }
    i++;
    while (i < n && text[i] === ' ') i++;
    let value = '';
    if (text[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        const c = text[i] as string;
        if (c === '\\' && text[i + 1] === "'") { value += "'"; i += 2; continue; }
        if (c === "'") { closed = true; i++; break; }
        value += c;
        i++;
      }
      if (!closed) throw new WafLoadError(`unterminated quote in action ${name}`, file, line);
    } else {
      while (i < n && text[i] !== ',') { value += text[i]; i++; }
      value = value.trim();
    }
    out.push({ name: name.toLowerCase(), value });
  }
  return out;
}
