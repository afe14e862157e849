/** A compiled JSON pointer: its unescaped segments, `*` matching every array item or object member. */
export type CompiledPointer = readonly string[];

/**
 * Compiles an RFC 6901 JSON pointer (`/card/number`, or `/items/STAR/ssn` with a `*` segment).
 * A segment that is exactly `*` is a wildcard over array items or object members (members
 * literally named `*` cannot be named). Throws on a pointer that does not start with `/`.
 *
 * @example
 * compilePointer('/items/*\/ssn'); // ['items', '*', 'ssn']
 */
export function compilePointer(pointer: string): CompiledPointer {
  if (!pointer.startsWith('/')) throw new Error(`"${pointer}" is not a JSON pointer (it must start with "/")`);
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Called for each location a pointer names: the container and the key or index in it. */
export type PointerVisitor = (container: Record<string, unknown> | unknown[], key: string | number, value: unknown) => void;

const MAX_DEPTH = 64;

/**
 * Visits every existing location `pointer` names in `root` (a missing member is skipped, never created).
 *
 * @example
 * visitPointer(body, ['items', '*', 'ssn'], (c, k) => { (c as Record<string, unknown>)[k] = '***'; });
 */
export function visitPointer(root: unknown, pointer: CompiledPointer, visit: PointerVisitor): void {
  const walk = (node: unknown, i: number): void => {
    if (i >= pointer.length || i > MAX_DEPTH || node === null || typeof node !== 'object') return;
    const segment = pointer[i]!;
    const last = i === pointer.length - 1;
    const step = (key: string | number, child: unknown) => {
      if (last) visit(node as Record<string, unknown> | unknown[], key, child);
      else walk(child, i + 1);
    };
    if (Array.isArray(node)) {
      if (segment === '*') {
        for (let k = 0; k < node.length; k += 1) step(k, node[k]);
      } else if (/^(0|[1-9][0-9]*)$/.test(segment) && Number(segment) < node.length) {
        step(Number(segment), node[Number(segment)]);
      }
      return;
    }
    const obj = node as Record<string, unknown>;
    if (segment === '*') {
      for (const key of Object.keys(obj)) step(key, obj[key]);
    } else if (Object.hasOwn(obj, segment)) {
      step(segment, obj[segment]);
    }
  };
  if (pointer.length === 0) return;
  walk(root, 0);
}
