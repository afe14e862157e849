/**
 * A score that halves every `halfLifeMs`: recent misbehaviour weighs, old misbehaviour fades
 * without any sweeper, since the decay is applied whenever the score is read or raised.
 *
 * @example
 * decayed(40, 600_000, 600_000); // 20
 */
export function decayed(score: number, elapsedMs: number, halfLifeMs: number): number {
  if (elapsedMs <= 0) return score;
  return score * 2 ** (-elapsedMs / halfLifeMs);
}

/** Stored form `score@ms`; anything unparsable reads as no score. */
export function parseRisk(text: string | undefined): { score: number; at: number } | undefined {
  if (text === undefined) return undefined;
  const at = text.indexOf('@');
  const score = Number(text.slice(0, at));
  const ms = Number(text.slice(at + 1));
  return at > 0 && Number.isFinite(score) && Number.isFinite(ms) ? { score, at: ms } : undefined;
}

/** @see parseRisk */
export function formatRisk(score: number, at: number): string {
  return `${Math.round(score * 100) / 100}@${at}`;
}
