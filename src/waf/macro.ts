/**
 * `%{tx.anomaly_score}` style macros, compiled once at load into a list of parts.
 */

/** Anything that can resolve one `COLLECTION.key` (or bare variable) to a string; the key comes in lower case. */
export interface MacroScope {
  resolveMacro(collection: string, key: string | undefined): string;
}

/** A compiled macro string. `isConstant` lets callers skip expansion at run time. */
export interface Macro {
  readonly source: string;
  readonly isConstant: boolean;
  /** The collections (upper case) its references read: the rule-set fold checks them (ADR 0030). */
  readonly collections: ReadonlySet<string>;
  expand(scope: MacroScope): string;
}

type Part = string | { readonly collection: string; readonly key: string | undefined };

/**
 * Compiles a string containing `%{...}` references.
 *
 * @example
 * compileMacro('score %{tx.anomaly_score}').expand(scope) // 'score 5'
 */
export function compileMacro(source: string): Macro {
  const parts: Part[] = [];
  const re = /%\{([^}]+)\}/g;
  let last = 0;
  for (let m = re.exec(source); m !== null; m = re.exec(source)) {
    if (m.index > last) parts.push(source.slice(last, m.index));
    const ref = (m[1] ?? '').trim();
    const dot = ref.search(/[.:]/);
    parts.push(dot === -1
      ? { collection: ref.toUpperCase(), key: undefined }
      : { collection: ref.slice(0, dot).toUpperCase(), key: ref.slice(dot + 1).toLowerCase() });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push(source.slice(last));
  const isConstant = parts.every((p) => typeof p === 'string');
  const collections = new Set<string>();
  for (const p of parts) if (typeof p !== 'string') collections.add(p.collection);
  return {
    source,
    isConstant,
    collections,
    expand(scope: MacroScope): string {
      if (isConstant) return source;
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : scope.resolveMacro(p.collection, p.key);
      return out;
    },
  };
}
