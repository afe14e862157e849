/** The targets the bench knows, by letter. */
export const TARGETS = ['a', 'b', 'c', 'd'] as const;
export type TargetId = (typeof TARGETS)[number];

/** Parsed `npm run bench -- …` flags. */
export interface BenchArgs {
  /** Measured seconds per run. */
  readonly duration: number;
  /** Warm-up seconds before each run, discarded. */
  readonly warmup: number;
  readonly connections: number;
  /** Interleaved rounds (A B C D, A B C D, …); the report shows the median per target. */
  readonly rounds: number;
  /** When set, only the pass-through gateway runs, for this many seconds, with RSS sampling. */
  readonly soak: number | undefined;
  readonly only: readonly TargetId[];
  /** Keep the gateway's access log on (off by default so only the proxy path is measured). */
  readonly accessLog: boolean;
}

const USAGE = 'usage: node dist/bench/proxy.js [--duration N] [--warmup N] [--connections N] [--rounds N] [--only a,b,c,d] [--soak N] [--access-log]';

/**
 * Parses the bench flags; throws with a usage line on anything it does not understand,
 * so a typo never silently runs the default benchmark.
 *
 * @example
 * parseBenchArgs(['--duration', '5', '--only', 'b,c']); // { duration: 5, only: ['b', 'c'], … }
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  let duration = 10;
  let warmup = 2;
  let connections = 50;
  let rounds = 2;
  let soak: number | undefined;
  let only: TargetId[] = [...TARGETS];
  let accessLog = false;
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const flag = eq === -1 ? raw : raw.slice(0, eq);
    const value = () => {
      const v = eq === -1 ? argv[++i] : raw.slice(eq + 1);
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${USAGE}`);
      return v;
    };
    switch (flag) {
      case '--duration': duration = positiveInt(flag, value()); break;
      case '--warmup': warmup = nonNegativeInt(flag, value()); break;
      case '--connections': connections = positiveInt(flag, value()); break;
      case '--rounds': rounds = positiveInt(flag, value()); break;
      case '--soak': soak = positiveInt(flag, value()); break;
      case '--only': only = parseOnly(value()); break;
      case '--access-log': accessLog = true; break;
      default: throw new Error(`unknown argument "${raw}"\n${USAGE}`);
    }
  }
  return { duration, warmup, connections, rounds, soak, only, accessLog };
}

function parseOnly(v: string): TargetId[] {
  const ids = v.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const bad = ids.filter((id) => !(TARGETS as readonly string[]).includes(id));
  if (bad.length > 0 || ids.length === 0) throw new Error(`--only takes letters from ${TARGETS.join(',')}; got "${v}"\n${USAGE}`);
  // Keep the canonical order so the interleaving is the same whatever order was typed.
  return TARGETS.filter((t) => ids.includes(t));
}

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer; got "${v}"\n${USAGE}`);
  return n;
}

function nonNegativeInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${flag} must be a non-negative integer; got "${v}"\n${USAGE}`);
  return n;
}
