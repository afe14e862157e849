/**
 * Levenshtein distance, capped: stops early once every cell of a row exceeds `max`,
 * so a long unknown key against many candidates stays cheap.
 */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      row.push(value);
      if (value < best) best = value;
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length] ?? max + 1;
}

/**
 * The candidate closest to `input` within an edit distance of 2 (case-insensitive),
 * or undefined. Ties go to the first candidate.
 *
 * @example
 * closestKey('uptream', ['name', 'upstream']); // 'upstream'
 */
export function closestKey(input: string, candidates: Iterable<string>, maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDistance = maxDistance + 1;
  const needle = input.toLowerCase();
  for (const candidate of candidates) {
    const d = distance(needle, candidate.toLowerCase(), maxDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
