/**
 * Returns a function that deletes a Map's oldest entries (insertion order; callers re-insert an
 * entry to mark it used) until at most `max` remain.
 *
 * Why not `map.delete(map.keys().next().value)`: V8 keeps deleted slots at the front of a Map's
 * table until it is rehashed, and a fresh iterator walks over all of them, so under a flood of
 * distinct keys each eviction cost ~100-200 µs (43 s for 300k inserts at 100k keys). One
 * long-lived iterator has already passed those slots: eviction is O(1) amortised.
 *
 * @example
 * const evict = lruEvictor(map);
 * map.set(key, value);
 * evict(100_000);
 */
export function lruEvictor<K, V>(map: Map<K, V>): (max: number) => void {
  // Held only while evicting. V8 links each table a rehash replaces to its successor for live
  // iterators, and an iterator never advanced stays on its table: an idle cursor kept the whole
  // chain of tables (and the entries each held) of a map churned by LRU touches reachable, a
  // leak of ~0.6 GiB/h in the 30-minute soak (docs/performance.md, "Soak"). Dropped once the map
  // is under its bound; at the bound (a flood) it is kept, so evictions stay O(1) amortised.
  let cursor: MapIterator<K> | undefined;
  return (max) => {
    if (map.size < max) {
      cursor = undefined;
      return;
    }
    while (map.size > max) {
      cursor ??= map.keys();
      let next = cursor.next();
      if (next.done === true) {
        cursor = map.keys();
        next = cursor.next();
        if (next.done === true) return;
      }
      map.delete(next.value);
    }
  };
}
