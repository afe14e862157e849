import { PortcullisError } from '../errors/index.js';
import { parsePrefix, parseTemplate, type TemplatedSegment } from './template.js';

/** The result of {@link Router.find}. */
export type RouteMatch<T> =
  | { readonly kind: 'found'; readonly value: T; readonly params: Record<string, string>; readonly template: string }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' };

interface Entry<T> {
  readonly value: T;
  readonly template: string;
  readonly names: readonly string[];
}

interface Edge<T> {
  readonly shape: string;
  readonly prefix: string;
  readonly suffix: string;
  /** Literals between parameters; never empty strings. */
  readonly separators: readonly string[];
  /** Shortest segment that can match: all literals plus one character per parameter. */
  readonly minLength: number;
  readonly literalLength: number;
  readonly node: RouteNode<T>;
}

interface RouteNode<T> {
  staticKeys: string[];
  staticNodes: RouteNode<T>[];
  staticMap: Map<string, RouteNode<T>> | undefined;
  edges: Edge<T>[];
  methods: Map<string, Entry<T>> | undefined;
}

interface PrefixNode<T> {
  readonly children: Map<string, PrefixNode<T>>;
  entry: { readonly value: T; readonly prefix: string; readonly catchAll: boolean } | undefined;
}

const NOT_FOUND = Object.freeze({ kind: 'not-found' as const });
// Above this many static children a Map lookup (one substring) beats scanning the keys.
const SCAN_LIMIT = 8;
const PERCENT = 0x25;
const SLASH = 0x2f;
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A route table for OpenAPI path templates and pass-through prefixes, matched per segment
 * on a trie. Paths given to `find` must be normalised with {@link normalizePath}.
 *
 * Matching rules:
 * - A static segment is tried before templated ones; templated segments with more literal
 *   characters are tried before those with fewer (then in the order added). If the chosen
 *   branch fails deeper down, the next candidate is tried; each trie node is visited at most
 *   once per lookup, so the cost is linear in the path length for a given table.
 * - A templated segment such as `{name}.{ext}` is matched without regexes: its leading and
 *   trailing literals must match exactly, then literals are scanned left to right and each
 *   parameter but the last takes the shortest run (1+ characters) up to the next literal; the
 *   last one takes the rest. So `a.tar.gz` gives `name=a, ext=tar.gz`. Other splits are not
 *   tried. A literal never matches inside a `%XX` triplet.
 * - Parameters never contain `/` and are returned percent-decoded.
 * - The method is compared as given (case-sensitive; `add` upper-cases its argument).
 *   The first node in priority order that has the method wins. When templates match the path
 *   but none has the method, the answer is `method-not-allowed` with every documented method of
 *   the matching templates, sorted (HEAD is not implied by GET).
 * - Documented operations beat prefixes: prefixes are consulted only when no template matches
 *   the path at all, so a pass-through API cannot widen what a documented path allows. Among
 *   prefixes the longest wins; they match at segment boundaries for any method.
 *
 * @example
 * const router = new Router<string>();
 * router.add('get', '/files/{name}.{ext}', 'getFile');
 * router.addPrefix('/legacy', 'legacy');
 * router.find('GET', '/files/a.txt');  // { kind: 'found', value: 'getFile', params: { name: 'a', ext: 'txt' }, template: '/files/{name}.{ext}' }
 * router.find('POST', '/files/a.txt'); // { kind: 'method-not-allowed', allow: ['GET'] }
 * router.find('PUT', '/legacy/x');     // { kind: 'found', value: 'legacy', params: {}, template: '/legacy' }
 */
export class Router<T> {
  readonly #root: RouteNode<T> = newNode();
  readonly #prefixes: PrefixNode<T> = { children: new Map(), entry: undefined };
  #hasPrefixes = false;
  #hasOperations = false;
  // Capture offsets of the lookup in progress (start, end pairs); `find` is synchronous.
  #caps: number[] = [];

  /**
   * Adds an operation. Throws `PCL_ERR_ROUTE_CONFLICT` when the method is already routed for an
   * equivalent template (`/pets/{id}` and `/pets/{petId}` are equivalent) and
   * `PCL_ERR_OPENAPI_INVALID` when the template cannot be routed.
   *
   * @example
   * router.add('GET', '/pets/{petId}', target);
   */
  add(method: string, template: string, value: T): void {
    if (!METHOD_TOKEN.test(method)) throw new PortcullisError('PCL_ERR_OPENAPI_INVALID', `invalid HTTP method "${method}"`);
    const parsed = parseTemplate(template);
    if ('problem' in parsed) {
      throw new PortcullisError('PCL_ERR_OPENAPI_INVALID', `path template "${template}" ${parsed.problem}`);
    }
    const upper = method.toUpperCase();
    let node = this.#root;
    for (const segment of parsed.segments) {
      node = segment.kind === 'static' ? staticChild(node, segment.value) : templatedChild(node, segment);
    }
    node.methods ??= new Map();
    const existing = node.methods.get(upper);
    if (existing !== undefined) {
      throw new PortcullisError('PCL_ERR_ROUTE_CONFLICT',
        `${upper} ${template} conflicts with ${upper} ${existing.template}: both match the same paths`);
    }
    node.methods.set(upper, { value, template, names: parsed.names });
    this.#hasOperations = true;
    while (this.#caps.length < parsed.names.length * 2) this.#caps.push(0);
  }

  /**
   * Adds a pass-through prefix that matches itself and everything below it, for any method
   * (with `catchAll`, also the undocumented methods of documented paths, which otherwise get 405):
   * `/api` matches `/api`, `/api/` and `/api/x` but not `/apix`; `/` matches every path.
   * Throws `PCL_ERR_ROUTE_CONFLICT` for a prefix already added and `PCL_ERR_CONFIG_INVALID`
   * for one that cannot be routed.
   *
   * @example
   * router.addPrefix('/api', target);
   */
  addPrefix(prefix: string, value: T, opts: { catchAll?: boolean } = {}): void {
    const parsed = parsePrefix(prefix);
    if ('problem' in parsed) throw new PortcullisError('PCL_ERR_CONFIG_INVALID', `prefix "${prefix}" ${parsed.problem}`);
    let node = this.#prefixes;
    for (const segment of parsed.segments) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = { children: new Map(), entry: undefined };
        node.children.set(segment, child);
      }
      node = child;
    }
    if (node.entry !== undefined) {
      throw new PortcullisError('PCL_ERR_ROUTE_CONFLICT', `prefix ${prefix} conflicts with prefix ${node.entry.prefix}`);
    }
    node.entry = { value, prefix, catchAll: opts.catchAll === true };
    this.#hasPrefixes = true;
  }

  /**
   * Looks up a normalised path (starting with `/`) for a method.
   *
   * @example
   * const match = router.find('GET', '/pets/42');
   * if (match.kind === 'found') match.params.petId; // '42'
   */
  find(method: string, path: string): RouteMatch<T> {
    if (path.charCodeAt(0) !== SLASH) return NOT_FOUND;
    const entry = this.#walk(this.#root, method, path, 1, 0);
    if (entry !== undefined) {
      const params: Record<string, string> = {};
      const names = entry.names;
      const caps = this.#caps;
      for (let i = 0; i < names.length; i++) {
        const raw = path.slice(caps[2 * i], caps[2 * i + 1]);
        if (raw.indexOf('%') === -1) {
          params[names[i]!] = raw;
          continue;
        }
        try {
          params[names[i]!] = decodeURIComponent(raw);
        } catch {
          return NOT_FOUND;
        }
      }
      return { kind: 'found', value: entry.value, params, template: entry.template };
    }
    if (this.#hasOperations) {
      const allow = new Set<string>();
      this.#collect(this.#root, path, 1, allow);
      if (allow.size > 0) {
        // A catch-all prefix (an API monitoring undocumented traffic) also takes undocumented methods.
        const hit = this.#hasPrefixes ? this.#longestPrefix(path) : undefined;
        if (hit?.catchAll === true) return { kind: 'found', value: hit.value, params: {}, template: hit.prefix };
        return { kind: 'method-not-allowed', allow: [...allow].sort() };
      }
    }
    if (this.#hasPrefixes) {
      const hit = this.#longestPrefix(path);
      if (hit !== undefined) return { kind: 'found', value: hit.value, params: {}, template: hit.prefix };
    }
    return NOT_FOUND;
  }

  #walk(node: RouteNode<T>, method: string, path: string, pos: number, capCount: number): Entry<T> | undefined {
    let end = path.indexOf('/', pos);
    if (end === -1) end = path.length;
    const last = end === path.length;
    const child = findStatic(node, path, pos, end);
    if (child !== undefined) {
      const hit = last ? child.methods?.get(method) : this.#walk(child, method, path, end + 1, capCount);
      if (hit !== undefined) return hit;
    }
    const edges = node.edges;
    for (let i = 0; i < edges.length; i++) {
      const edge = edges[i]!;
      const next = matchTemplated(edge, path, pos, end, this.#caps, capCount);
      if (next === -1) continue;
      const hit = last ? edge.node.methods?.get(method) : this.#walk(edge.node, method, path, end + 1, next);
      if (hit !== undefined) return hit;
    }
    return undefined;
  }

  /** Every method of every template matching the path (the slow, 405 path). */
  #collect(node: RouteNode<T>, path: string, pos: number, allow: Set<string>): void {
    let end = path.indexOf('/', pos);
    if (end === -1) end = path.length;
    const last = end === path.length;
    const child = findStatic(node, path, pos, end);
    const next: RouteNode<T>[] = child === undefined ? [] : [child];
    const scratch: number[] = [];
    for (const edge of node.edges) {
      if (matchTemplated(edge, path, pos, end, scratch, 0) !== -1) next.push(edge.node);
    }
    for (const n of next) {
      if (!last) this.#collect(n, path, end + 1, allow);
      else if (n.methods !== undefined) for (const m of n.methods.keys()) allow.add(m);
    }
  }

  #longestPrefix(path: string): { readonly value: T; readonly prefix: string; readonly catchAll: boolean } | undefined {
    let node = this.#prefixes;
    let best = node.entry;
    let pos = 1;
    while (pos <= path.length) {
      let end = path.indexOf('/', pos);
      if (end === -1) end = path.length;
      const child = node.children.get(path.slice(pos, end));
      if (child === undefined) break;
      node = child;
      if (node.entry !== undefined) best = node.entry;
      pos = end + 1;
    }
    return best;
  }
}

function newNode<T>(): RouteNode<T> {
  return { staticKeys: [], staticNodes: [], staticMap: undefined, edges: [], methods: undefined };
}

function staticChild<T>(node: RouteNode<T>, key: string): RouteNode<T> {
  const index = node.staticKeys.indexOf(key);
  if (index !== -1) return node.staticNodes[index]!;
  const child = newNode<T>();
  node.staticKeys.push(key);
  node.staticNodes.push(child);
  if (node.staticKeys.length > SCAN_LIMIT) {
    node.staticMap ??= new Map(node.staticKeys.map((k, i) => [k, node.staticNodes[i]!]));
    node.staticMap.set(key, child);
  }
  return child;
}

function templatedChild<T>(node: RouteNode<T>, segment: TemplatedSegment): RouteNode<T> {
  const found = node.edges.find((e) => e.shape === segment.shape);
  if (found !== undefined) return found.node;
  const literals = segment.literals;
  const literalLength = literals.reduce((n, l) => n + l.length, 0);
  const edge: Edge<T> = {
    shape: segment.shape,
    prefix: literals[0]!,
    suffix: literals[literals.length - 1]!,
    separators: literals.slice(1, -1),
    minLength: literalLength + segment.names.length,
    literalLength,
    node: newNode<T>(),
  };
  node.edges.push(edge);
  // Stable sort: more literal characters first, then the order added.
  node.edges.sort((a, b) => b.literalLength - a.literalLength);
  return edge.node;
}

function findStatic<T>(node: RouteNode<T>, path: string, pos: number, end: number): RouteNode<T> | undefined {
  if (node.staticMap !== undefined) return node.staticMap.get(path.slice(pos, end));
  const keys = node.staticKeys;
  const length = end - pos;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key.length === length && path.startsWith(key, pos)) return node.staticNodes[i];
  }
  return undefined;
}

/** True when index `i` is one of the two hex digits of a `%XX` triplet. */
function insideTriplet(path: string, i: number): boolean {
  return path.charCodeAt(i - 1) === PERCENT || path.charCodeAt(i - 2) === PERCENT;
}

/**
 * Matches the segment path[pos, end) against a templated edge, writing capture offsets into
 * `caps` from `at`. Returns the new capture count, or -1. Linear: every scan moves forward.
 */
function matchTemplated<T>(edge: Edge<T>, path: string, pos: number, end: number, caps: number[], at: number): number {
  if (end - pos < edge.minLength) return -1;
  const { prefix, suffix, separators } = edge;
  if (prefix.length > 0 && !path.startsWith(prefix, pos)) return -1;
  const stop = end - suffix.length;
  if (suffix.length > 0 && (!path.startsWith(suffix, stop) || insideTriplet(path, stop))) return -1;
  let start = pos + prefix.length;
  let count = at;
  for (let k = 0; k < separators.length; k++) {
    const separator = separators[k]!;
    let found = path.indexOf(separator, start + 1);
    while (found !== -1 && found < stop && insideTriplet(path, found)) found = path.indexOf(separator, found + 1);
    if (found === -1 || found + separator.length >= stop) return -1;
    caps[count++] = start;
    caps[count++] = found;
    start = found + separator.length;
  }
  if (stop - start < 1) return -1;
  caps[count++] = start;
  caps[count++] = stop;
  return count;
}
