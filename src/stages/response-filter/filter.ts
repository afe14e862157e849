/**
 * Property filtering of a parsed JSON response along its (dereferenced, possibly cyclic)
 * schema. Views are built once at load for every object schema reachable from a response;
 * filtering then follows the data, so cycles in the schema cannot loop.
 */

type Obj = Record<string, unknown>;

/** What the filter needs to know about one schema. */
export interface SchemaView {
  /** Declared properties (own and from allOf/oneOf/anyOf members). */
  readonly props: ReadonlyMap<string, Obj>;
  /** Properties never sent to clients (writeOnly). */
  readonly writeOnly: ReadonlySet<string>;
  /** Properties limited to roles. */
  readonly visibleTo: ReadonlyMap<string, readonly string[]>;
  /** Undeclared properties are allowed (additionalProperties / patternProperties set). */
  readonly open: boolean;
  readonly items: Obj | undefined;
}

/** Counts of what the filter removed (or would remove). */
export interface FilterReport {
  undeclared: number;
  writeOnly: number;
  hidden: number;
  tooDeep: boolean;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const MAX_DEPTH = 64;

/**
 * Builds views for every object schema reachable from `root`.
 *
 * @example
 * const views = buildViews(schema, 'x-portcullis-visible-to', undefined, new Map([['lastLoginIp', ['admin']]]));
 */
export function buildViews(root: unknown, ext: string, views = new Map<object, SchemaView>(), byName: ReadonlyMap<string, readonly string[]> = new Map()): Map<object, SchemaView> {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const s = pending.pop();
    if (!isObj(s) || views.has(s)) continue;
    const props = new Map<string, Obj>();
    const writeOnly = new Set<string>();
    // Config-named properties are limited wherever they appear, declared or not; the schema extension adds to that.
    const visibleTo = new Map<string, readonly string[]>(byName);
    let open = false;
    let items: Obj | undefined;
    // Members of compositions describe the same instance: merge them (bounded by a seen set).
    const members: Obj[] = [s];
    const seen = new Set<object>();
    while (members.length > 0) {
      const m = members.pop()!;
      if (seen.has(m)) continue;
      seen.add(m);
      if (isObj(m.properties)) {
        for (const [k, v] of Object.entries(m.properties)) {
          if (!isObj(v)) continue;
          if (!props.has(k)) props.set(k, v);
          if (v.writeOnly === true) writeOnly.add(k);
          const roles = v[ext];
          if (Array.isArray(roles)) {
            // Both the document and the config must allow a role.
            const fromConfig = byName.get(k);
            visibleTo.set(k, roles.map(String).filter((r) => fromConfig === undefined || fromConfig.includes(r)));
          }
          pending.push(v);
        }
      }
      if (m.additionalProperties === true || isObj(m.additionalProperties) || isObj(m.patternProperties)) open = true;
      if (isObj(m.additionalProperties)) pending.push(m.additionalProperties);
      if (isObj(m.items)) { items ??= m.items; pending.push(m.items); }
      for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
        const list = m[key];
        if (Array.isArray(list)) for (const x of list) if (isObj(x)) members.push(x);
      }
    }
    // A schema that says nothing about objects (e.g. `{}`) constrains nothing: keep it open.
    if (props.size === 0 && !('properties' in s) && s.type !== 'object' && items === undefined) open = true;
    views.set(s, { props, writeOnly, visibleTo, open, items });
  }
  return views;
}

/** What filterValue removes: contract violations (`apply`) and role-hidden properties (`hide`). */
export interface FilterOptions {
  readonly roles: readonly string[];
  readonly apply: boolean;
  readonly hide: boolean;
}

/**
 * Whether {@link filterValue} would find anything at all: an undeclared, writeOnly or role-hidden
 * property, or nesting past the depth limit. It allocates nothing, so the usual clean response is
 * checked without being copied; when it says true, filterValue does the counting and removing.
 *
 * @example
 * if (needsFiltering(body, schema, views, roles)) filtered = filterValue(body, schema, views, opts, report);
 */
export function needsFiltering(value: unknown, schema: unknown, views: ReadonlyMap<object, SchemaView>, roles: readonly string[], depth = 0): boolean {
  if (!isObj(schema) || typeof value !== 'object' || value === null) return false;
  if (depth > MAX_DEPTH) return true;
  const view = views.get(schema);
  if (view === undefined) return false;
  if (Array.isArray(value)) {
    if (view.items === undefined) return false;
    for (const v of value) if (needsFiltering(v, view.items, views, roles, depth + 1)) return true;
    return false;
  }
  for (const k of Object.keys(value)) {
    const ps = view.props.get(k);
    if (ps === undefined && !view.open) return true;
    if (view.writeOnly.has(k)) return true;
    const allowed = view.visibleTo.get(k);
    if (allowed !== undefined && !allowed.some((r) => roles.includes(r))) return true;
    if (needsFiltering((value as Obj)[k], ps, views, roles, depth + 1)) return true;
  }
  return false;
}

/**
 * Counts, and removes as `opts` says, what the client must not see. Returns the filtered value.
 *
 * @example
 * const out = filterValue(body, schema, views, { roles: ['user'], apply: true, hide: true }, report);
 */
export function filterValue(value: unknown, schema: unknown, views: ReadonlyMap<object, SchemaView>, opts: FilterOptions, report: FilterReport, depth = 0): unknown {
  if (!isObj(schema) || typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) { report.tooDeep = true; return value; }
  const view = views.get(schema);
  if (view === undefined) return value;
  if (Array.isArray(value)) {
    if (view.items === undefined) return value;
    return value.map((v) => filterValue(v, view.items, views, opts, report, depth + 1));
  }
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    const ps = view.props.get(k);
    if (ps === undefined && !view.open) { report.undeclared++; if (opts.apply) continue; }
    if (view.writeOnly.has(k)) { report.writeOnly++; if (opts.apply) continue; }
    const allowed = view.visibleTo.get(k);
    if (allowed !== undefined && !allowed.some((r) => opts.roles.includes(r))) { report.hidden++; if (opts.hide) continue; }
    // defineProperty: a "__proto__" key from the upstream stays an own property.
    Object.defineProperty(out, k, { value: filterValue(v, ps, views, opts, report, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
