/** closed: requests flow. open: requests are refused. half-open: one trial request probes the upstream. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (integer ≥ 1). */
  readonly failureThreshold: number;
  /** How long the circuit stays open before a trial request is let through (ms ≥ 0). */
  readonly cooldownMs: number;
  /** Clock in ms; injectable for tests. Default `performance.now`. */
  readonly now?: () => number;
  /** Called after every state change, with the new state. */
  readonly onStateChange?: (state: CircuitState) => void;
}

/**
 * A consecutive-failure circuit breaker for one upstream. After `failureThreshold` failures
 * in a row the circuit opens and requests fail fast; once `cooldownMs` has passed it turns
 * half-open and lets exactly one trial through at a time; the trial's success closes it, its
 * failure opens it again for another cooldown.
 *
 * A trial that is never reported (a lost callback) would hold the circuit half-open for ever,
 * so a trial older than `cooldownMs` no longer blocks the next one. Report a client abort with
 * {@link CircuitBreaker.onAbort}: it says nothing about the upstream's health.
 *
 * @example
 * const breaker = new CircuitBreaker({ failureThreshold: 5, cooldownMs: 10_000 });
 * if (!breaker.canRequest()) throw new GatewayError('PCL_UPSTREAM_CIRCUIT_OPEN');
 * try { await send(); breaker.onSuccess(); } catch (err) { breaker.onFailure(); throw err; }
 */
export class CircuitBreaker {
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #now: () => number;
  readonly #onStateChange: ((state: CircuitState) => void) | undefined;
  #state: CircuitState = 'closed';
  #failures = 0;
  #openedAt = 0;
  /** Start time of the trial in flight while half-open; undefined when none. */
  #trialStartedAt: number | undefined;

  constructor(options: CircuitBreakerOptions) {
    if (!Number.isInteger(options.failureThreshold) || options.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be an integer ≥ 1, got ${String(options.failureThreshold)}`);
    }
    if (!Number.isFinite(options.cooldownMs) || options.cooldownMs < 0) {
      throw new RangeError(`cooldownMs must be a finite number ≥ 0, got ${String(options.cooldownMs)}`);
    }
    this.#threshold = options.failureThreshold;
    this.#cooldownMs = options.cooldownMs;
    this.#now = options.now ?? (() => performance.now());
    this.#onStateChange = options.onStateChange;
  }

  /** The current state (an open circuit whose cooldown has passed still reads 'open' until asked). */
  get state(): CircuitState {
    return this.#state;
  }

  /** Consecutive failures counted so far. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * True when a request may go to the upstream. While half-open this claims the single trial
   * slot: call it only when the request will really be sent, and report its outcome.
   */
  canRequest(): boolean {
    if (this.#state === 'closed') return true;
    const now = this.#now();
    if (this.#state === 'open') {
      if (now - this.#openedAt < this.#cooldownMs) return false;
      this.#trialStartedAt = now;
      this.#set('half-open');
      return true;
    }
    if (this.#trialStartedAt !== undefined && now - this.#trialStartedAt < this.#cooldownMs) return false;
    this.#trialStartedAt = now;
    return true;
  }

  /** Milliseconds until an open circuit lets a trial through (for Retry-After); 0 when not open. */
  msUntilRetry(): number {
    if (this.#state !== 'open') return 0;
    return Math.max(0, this.#cooldownMs - (this.#now() - this.#openedAt));
  }

  /** The upstream answered: the failure run ends, and a half-open circuit closes. */
  onSuccess(): void {
    if (this.#state === 'open') return; // a request from before the circuit opened proves nothing new
    this.#failures = 0;
    if (this.#state === 'half-open') {
      this.#trialStartedAt = undefined;
      this.#set('closed');
    }
  }

  /** The upstream failed (connect error, timeout, reset): counts towards opening. */
  onFailure(): void {
    if (this.#state === 'open') return;
    this.#failures++;
    if (this.#state === 'half-open' || this.#failures >= this.#threshold) {
      this.#openedAt = this.#now();
      this.#trialStartedAt = undefined;
      this.#set('open');
    }
  }

  /** The request ended without a verdict on the upstream (client went away): frees the trial slot. */
  onAbort(): void {
    if (this.#state === 'half-open') this.#trialStartedAt = undefined;
  }

  #set(state: CircuitState): void {
    this.#state = state;
    this.#onStateChange?.(state);
  }
}
