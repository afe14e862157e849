import { writeFile } from 'node:fs/promises';
import { isSeverity, type Severity } from '../security-testing/common/finding.js';

/** Where a command writes: injected so tests can capture it. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stderr is a terminal (progress lines are drawn only then). */
  readonly tty: boolean;
}

/** The process's stdout/stderr. */
export const processIo: CommandIo = {
  out: (s) => { process.stdout.write(s); },
  err: (s) => { process.stderr.write(s); },
  get tty() { return process.stderr.isTTY === true; },
};

/** Thrown for a bad command line: the command prints the message and its usage, exit 2. */
export class UsageError extends Error {}

/** Parses `--fail-on` (`none` or a severity). */
export function parseFailOn(value: string | undefined, fallback: Severity | 'none'): Severity | 'none' {
  if (value === undefined) return fallback;
  if (value === 'none' || isSeverity(value)) return value;
  throw new UsageError(`--fail-on must be none, critical, high, medium, low or info, not "${value}"`);
}

/** Parses a `--format` value against the formats a command offers. */
export function parseFormat<F extends string>(value: string | undefined, formats: readonly F[], fallback: F): F {
  if (value === undefined) return fallback;
  if ((formats as readonly string[]).includes(value)) return value as F;
  throw new UsageError(`--format must be one of ${formats.join(', ')}, not "${value}"`);
}

/** Writes `text` to `file`, or to stdout when no file is given (or `-`). */
export async function emit(io: CommandIo, text: string, file: string | undefined): Promise<void> {
  if (file === undefined || file === '-') io.out(text);
  else await writeFile(file, text);
}

/** Splits comma-separated values of a repeated option: `--disable a,b --disable c` → a, b, c. */
export function listOption(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}
