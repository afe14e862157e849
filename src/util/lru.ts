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
  let cursor = map.keys();
  return (max) => {
    while (map.size > max) {
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
