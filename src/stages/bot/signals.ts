import type { IncomingHttpHeaders } from 'node:http';
import type { BotConfig } from './schema.js';

/** The outcome of the header signals of one request. */
export interface SignalScore {
  readonly score: number;
  /** Names of the signals that fired, for events (bounded: at most five). */
  readonly fired: string[];
}

/** A compiled evaluator of the signals that need only the request headers. */
export type HeaderSignals = (headers: IncomingHttpHeaders) => SignalScore;

const lower = (v: string | string[] | undefined): string => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(',') : '').toLowerCase();

/**
 * Compiles the header signals: automation user agents (or none at all), headless-browser markers
 * in User-Agent or Sec-CH-UA, and a claimed browser that lacks headers every browser sends.
 * Matching is by lower-case substring, linear in the header length (no regular expressions).
 *
 * @example
 * const signals = compileHeaderSignals(config.signals);
 * signals({ 'user-agent': 'curl/8.5.0' }); // { score: 60, fired: ['automation-user-agent'] }
 */
export function compileHeaderSignals(config: BotConfig['signals']): HeaderSignals {
  const automation = config.automationUserAgent.patterns.map((p) => p.toLowerCase());
  const headless = config.headless.patterns.map((p) => p.toLowerCase());
  const required = config.missingBrowserHeaders.headers;
  return (headers) => {
    const ua = lower(headers['user-agent']);
    const fired: string[] = [];
    let score = 0;
    if (config.automationUserAgent.weight > 0 && (ua === '' || automation.some((p) => ua.includes(p)))) {
      score += config.automationUserAgent.weight;
      fired.push('automation-user-agent');
    }
    const hints = lower(headers['sec-ch-ua']);
    if (config.headless.weight > 0 && headless.some((p) => ua.includes(p) || hints.includes(p))) {
      score += config.headless.weight;
      fired.push('headless-browser');
    }
    if (config.missingBrowserHeaders.weight > 0 && ua.startsWith('mozilla/') && required.some((h) => headers[h] === undefined)) {
      score += config.missingBrowserHeaders.weight;
      fired.push('missing-browser-headers');
    }
    return { score, fired };
  };
}

/**
 * True when the User-Agent contains one of the (lower-case) allow-listed substrings.
 *
 * @example
 * userAgentAllowed({ 'user-agent': 'Pingdom.com_bot' }, ['pingdom']); // true
 */
export function userAgentAllowed(headers: IncomingHttpHeaders, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return false;
  const ua = lower(headers['user-agent']);
  return ua !== '' && allowed.some((p) => ua.includes(p));
}
