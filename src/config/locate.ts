import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { ConfigPath } from './path.js';

/** A 1-based position in the config file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/**
 * Which line an issue points at: the node itself, the key naming it (unknown keys),
 * or its parent (a missing required property has no node of its own).
 */
export type Anchor = 'node' | 'key' | 'parent';

interface Found {
  readonly node: Node | null;
  readonly key: Node | null;
}

// Aliases can chain; a bound keeps a pathological document from looping.
const MAX_ALIAS_HOPS = 32;

/**
 * Finds YAML nodes by config path in a parsed document and reports their
 * line and column, falling back to the nearest ancestor that exists in the
 * file (values added by defaults have no node).
 *
 * @example
 * const locator = new DocLocator(doc, lineCounter);
 * locator.position(['apis', 0, 'upstream']); // { line: 3, column: 15 }
 */
export class DocLocator {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  /** The exact position of the node at `path`, or undefined when it is not in the file. */
  exact(path: ConfigPath, anchor: Anchor = 'node'): Position | undefined {
    const target = anchor === 'parent' ? path.slice(0, -1) : path;
    const found = this.#find(target);
    if (found === undefined) return undefined;
    return this.#positionOf(found, anchor === 'key');
  }

  /** The position for an issue at `path`: exact when possible, else the nearest ancestor's. */
  position(path: ConfigPath, anchor: Anchor = 'node'): Position | undefined {
    const exact = this.exact(path, anchor);
    if (exact !== undefined) return exact;
    const start = anchor === 'parent' ? path.length - 2 : path.length - 1;
    for (let len = start; len >= 0; len--) {
      const found = this.#find(path.slice(0, len));
      if (found !== undefined) return this.#positionOf(found, false);
    }
    return undefined;
  }

  #positionOf(found: Found, preferKey: boolean): Position | undefined {
    const { node, key } = found;
    // A block mapping or list starts on the line after its key; the key line is what people look for.
    const useKey = key !== null && (preferKey || node === null || isMap(node) || isSeq(node));
    const offset = (useKey ? key : node)?.range?.[0];
    if (offset === undefined) return undefined;
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }

  #find(path: ConfigPath): Found | undefined {
    let current: Found = { node: this.#resolve(this.#doc.contents as Node | null), key: null };
    for (const seg of path) {
      const node = current.node;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (pair === undefined) return undefined;
        current = { node: this.#resolve(pair.value as Node | null), key: pair.key as Node };
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return undefined;
        current = { node: this.#resolve(item as Node | null), key: null };
      } else {
        return undefined;
      }
    }
    return current;
  }

  #resolve(node: Node | null): Node | null {
    let current: unknown = node;
    for (let hops = 0; isAlias(current) && hops < MAX_ALIAS_HOPS; hops++) current = current.resolve(this.#doc);
    return isAlias(current) ? null : (current as Node | null) ?? null;
  }
}
