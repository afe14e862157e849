/**
 * A robust running baseline: an exponentially weighted mean and an exponentially weighted mean
 * absolute deviation (the streaming cousin of the MAD), stored as `[mean, dev, windows]`.
 *
 * Two guards keep an attacker from teaching the baseline: during warm-up the mean is a plain
 * running mean (fast to converge, but nothing is judged yet), and afterwards each new value is
 * clipped to `mean + CLIP * scale` before it moves the baseline (a Huber-style update), so a
 * burst moves it by a bounded step instead of becoming the new normal.
 */
export type Baseline = [mean: number, dev: number, windows: number];

const CLIP = 4;
/** Per-window counts of a quiet client are Poisson-noisy: the scale is never below half the mean, so z 8 means at least five times the usual. */
const REL_FLOOR = 0.5;
/** A mean absolute deviation is about 0.8 standard deviations for normal data: scale it to sigma. */
const MAD_TO_SIGMA = 1.25;

/** An empty baseline. @example const b = emptyBaseline(); */
export function emptyBaseline(): Baseline {
  return [0, 0, 0];
}

/**
 * The scale a z score divides by: the deviation as a sigma, floored at `floor` and at half the
 * mean (a perfectly regular client would otherwise make any change look infinite).
 *
 * @example
 * scaleOf([10, 0, 20], 1); // 5
 */
export function scaleOf(b: Baseline, floor: number): number {
  return Math.max(b[1] * MAD_TO_SIGMA, floor, b[0] * REL_FLOOR);
}

/**
 * Folds one window's value into a baseline (returns a new tuple).
 *
 * @example
 * let b = emptyBaseline();
 * for (const x of [10, 12, 9]) b = updateBaseline(b, x, 0.1, 5, 1);
 */
export function updateBaseline(b: Baseline, x: number, alpha: number, warmup: number, floor: number): Baseline {
  const [mean, dev, n] = b;
  if (n < warmup) {
    const a = 1 / (n + 1);
    const m = mean + a * (x - mean);
    return [m, dev + a * (Math.abs(x - mean) - dev), n + 1];
  }
  const clipped = Math.min(x, mean + CLIP * scaleOf(b, floor));
  const m = mean + alpha * (clipped - mean);
  return [m, dev + alpha * (Math.abs(clipped - mean) - dev), n + 1];
}

/**
 * How many robust standard deviations `x` lies above the baseline's mean.
 *
 * @example
 * robustZ([10, 2, 30], 20, 1); // 2
 */
export function robustZ(b: Baseline, x: number, floor: number): number {
  return (x - b[0]) / scaleOf(b, floor);
}

/** True once the baseline has seen `warmup` windows. @example isWarm([1, 0, 5], 5); // true */
export function isWarm(b: Baseline | undefined, warmup: number): b is Baseline {
  return b !== undefined && b[2] >= warmup;
}
