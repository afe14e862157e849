/**
 * A deterministic pseudo-random generator (mulberry32): tests that draw random inputs use a
 * fixed seed so a failing sequence can be replayed.
 *
 * @example
 * const next = prng(42);
 * next() // a number in [0, 1), the same on every run
 */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
