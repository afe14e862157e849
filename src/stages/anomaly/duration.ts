const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A config duration ('90s', '15m') in milliseconds (the schema has checked the form).
 *
 * @example
 * durationMs('15m'); // 900000
 */
export function durationMs(s: string): number {
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(s);
  if (m === null) throw new Error(`invalid duration "${s}"`);
  return Number(m[1]) * UNIT[m[2]!]!;
}
