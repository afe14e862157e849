/** Thrown at once, without touching the network, while the breaker is open. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** Options of {@link StoreBreaker}. */
export interface StoreBreakerOptions {
  /** Checks the store is back (a PING that bypasses the breaker). */
  readonly probe: () => Promise<unknown>;
  /** How often an open breaker probes. Default 200 ms. */
  readonly probeIntervalMs?: number;
  /** Errors that say nothing about the store's health (a script's reply error): they do not open the breaker. */
  readonly isHealthy?: (err: unknown) => boolean;
  /** Told of every change: true when the breaker opens (store unavailable), false when it closes. */
  readonly onChange?: (open: boolean) => void;
}

/**
 * A circuit breaker in front of a remote store. The first failure of a command (timeout, closed
 * connection) or a lost connection opens it; while open every command fails at once with
 * {@link StoreUnavailableError}, so callers apply their failure policy in microseconds instead of
 * waiting for a timeout per request. An open breaker probes every `probeIntervalMs` (and at once
 * when the connection is re-established) and closes on the first successful probe.
 *
 * @example
 * const breaker = new StoreBreaker({ probe: () => redis.ping() });
 * redis.on('close', () => breaker.trip());
 * redis.on('ready', () => breaker.probeNow());
 * const v = await breaker.run(() => redis.get('k'));
 */
export class StoreBreaker {
  readonly #o: StoreBreakerOptions;
  #open = false;
  #probing = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(o: StoreBreakerOptions) {
    this.#o = o;
  }

  /** True while commands fail fast. */
  get open(): boolean {
    return this.#open;
  }

  /** Runs a command unless the breaker is open; a failure that is not `isHealthy` opens it. */
  async run<T>(command: () => Promise<T>): Promise<T> {
    if (this.#open) throw new StoreUnavailableError('store unavailable (circuit open)');
    try {
      return await command();
    } catch (err) {
      if (this.#o.isHealthy?.(err) !== true) this.trip();
      throw err;
    }
  }

  /** Opens the breaker (idempotent) and starts probing. */
  trip(): void {
    if (this.#open || this.#stopped) return;
    this.#open = true;
    this.#o.onChange?.(true);
    this.#timer = setInterval(() => this.probeNow(), this.#o.probeIntervalMs ?? 200);
    this.#timer.unref();
  }

  /** Probes now if open (one probe at a time); closes the breaker when the probe succeeds. */
  probeNow(): void {
    if (!this.#open || this.#probing) return;
    this.#probing = true;
    this.#o.probe().then(() => this.#close(), () => {}).finally(() => { this.#probing = false; });
  }

  #close(): void {
    if (!this.#open) return;
    this.#open = false;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#o.onChange?.(false);
  }

  /** Stops probing for good (the store is closing). */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
