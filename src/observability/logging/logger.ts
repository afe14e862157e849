import pino from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level name: fatal, error, warn, info, debug, trace or silent. */
  level: string;
  /**
   * Where JSON lines go: a stream (tests capture output this way) or a file
   * descriptor. Defaults to stdout through an asynchronous SonicBoom.
   */
  destination?: pino.DestinationStream | number;
}

/**
 * Creates the process logger: one JSON object per line, level as a label
 * (`"level":"info"`), ISO timestamps.
 *
 * The default destination is asynchronous so a slow stdout never blocks a request;
 * pino flushes it on normal process exit, and callers should `logger.flush()`
 * before exiting on their own.
 *
 * @example
 * const logger = createLogger({ level: 'info' });
 * logger.info({ port: 8080 }, 'listening');
 *
 * @example
 * // In a test: capture lines.
 * const lines: string[] = [];
 * const logger = createLogger({ level: 'debug', destination: { write: (s) => { lines.push(s); } } });
 */
export function createLogger(opts: LoggerOptions): pino.Logger {
  const dest = opts.destination ?? 1;
  const stream = typeof dest === 'number' ? pino.destination({ dest, sync: false }) : dest;
  return pino({
    level: opts.level,
    // Labels are what operators grep for; numbers only save a few bytes.
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  }, stream);
}
