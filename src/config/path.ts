/** One step into a config value: a mapping key or a list index. */
export type PathSegment = string | number;
/** A location inside a config value, from the root. */
export type ConfigPath = readonly PathSegment[];

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Renders a path the way operators read it: `apis[0].upstream`, `server.port`,
 * `apis[0].operations["tag:admin"]`; the empty path is `(root)`.
 *
 * @example
 * renderPath(['apis', 0, 'upstream']); // 'apis[0].upstream'
 */
export function renderPath(path: ConfigPath): string {
  if (path.length === 0) return '(root)';
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    // Keys with dots, colons or spaces would read ambiguously in dotted form.
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Turns an Ajv `instancePath` (a JSON Pointer) into path segments, using the
 * validated data to tell list indexes from mapping keys that look numeric.
 *
 * @example
 * pointerToPath('/apis/0/upstream', { apis: [{}] }); // ['apis', 0, 'upstream']
 */
export function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let cursor: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(cursor) && /^(0|[1-9][0-9]*)$/.test(key)) {
      const index = Number(key);
      out.push(index);
      cursor = cursor[index];
    } else {
      out.push(key);
      cursor = cursor !== null && typeof cursor === 'object' && Object.hasOwn(cursor, key)
        ? (cursor as Record<string, unknown>)[key]
        : undefined;
    }
  }
  return out;
}

const RELATIVE = /^([A-Za-z_$][A-Za-z0-9_$-]*(?:\[\d+\]|\.[A-Za-z_$][A-Za-z0-9_$-]*)*): ([\s\S]*)$/;

/**
 * Splits a message that starts with a rendered relative path (`rules[1].when: ...`, as stage
 * factories write them) into the path's segments and the rest; undefined when it does not.
 *
 * @example
 * splitPathPrefix('rules[1].when: bad'); // { path: ['rules', 1, 'when'], message: 'bad' }
 */
export function splitPathPrefix(message: string): { path: PathSegment[]; message: string } | undefined {
  const m = RELATIVE.exec(message);
  if (m === null) return undefined;
  const path: PathSegment[] = [];
  for (const part of m[1]!.matchAll(/([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+)\]/g)) path.push(part[2] === undefined ? part[1]! : Number(part[2]));
  return { path, message: m[2]! };
}
