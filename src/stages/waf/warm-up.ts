import { evaluate, phasePlanSteps, Transaction, type RuleSet, type Steps, type TransactionInput } from '../../waf/index.js';
import { inspectRequest, inspectResponse } from './inspect.js';

/**
 * Rounds of warm-up traffic. The first real requests after a load otherwise pay for V8's lazy
 * compilation and tier-up of every code path they reach (body processors, collections,
 * transformations, operators): measured ~55 ms of main-thread CPU over the first ten browser GETs
 * and ~70 ms over the first ten JSON POSTs on CRS v4, which ten concurrent clients see as one
 * stall of the event loop. A few rounds move that cost to the load, where it runs in slices.
 */
const ROUNDS = 16;

/**
 * Runs one empty request and response through every phase, silently, while the config loads:
 * the engine builds each phase's plan (candidate automata) on first use, about 0.3 s of CPU
 * for CRS, which would otherwise stall the event loop on the first request after a start or
 * a reload (ADR 0017).
 */
export function* warmPhasePlans(rs: RuleSet): Steps<void> {
  const tx = new Transaction({ method: 'GET', uri: '/', headers: [['Host', 'localhost']] }, 'warm-up');
  tx.engineMode = 'DetectionOnly';
  for (const phase of [1, 2, 3, 4]) {
    // The plan in steps of bounded work (its automata), then the phase's first run on its own.
    yield* phasePlanSteps(rs, phase);
    yield;
    if (phase === 3) tx.setResponse({ status: 200, headers: [['Content-Type', 'text/html']], body: new Uint8Array(0) });
    evaluate(rs, tx, phase);
    yield;
  }
}

/**
 * Ordinary traffic of each common shape (a browser GET with a query and cookies, JSON, form,
 * multipart and XML bodies, responses with and without a body) through the same inspection
 * the stage runs, in DetectionOnly and one request per step. Every round's values are new, so
 * the paths of values no cache knows are the ones warmed; nothing is published or logged (the
 * stage publishes matches, not the engine).
 */
export function* warmUpTraffic(rs: RuleSet, rounds = ROUNDS): Steps<void> {
  for (let n = 0; n < rounds; n++) {
    for (const [request, response] of trafficOf(n)) {
      const r = inspectRequest(rs, request, `warm-up-${n}`, 'DetectionOnly');
      if (r.tx !== undefined) inspectResponse(rs, r.tx, response);
      yield;
    }
  }
}

const enc = (s: string): Uint8Array => Buffer.from(s, 'utf8');

const BROWSER: Array<[string, string]> = [
  ['Host', 'warm-up.invalid'],
  ['User-Agent', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36'],
  ['Accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
  ['Accept-Language', 'de-DE,de;q=0.9,en;q=0.7'],
  ['Accept-Encoding', 'gzip, deflate, br'],
];

/** The requests and responses of warm-up round `n` (exported for its test). */
export function trafficOf(n: number): Array<[TransactionInput, { status: number; headers: Array<[string, string]>; body?: Uint8Array }]> {
  const json = JSON.stringify({
    name: `Warm-up order ${n}`, quantity: n, price: 3.5 + n, active: n % 2 === 0,
    address: { street: `Lindenweg ${n}`, city: 'Musterstadt', zip: `${10_000 + n}` },
    lines: [{ sku: `A-${n}`, note: 'Please leave the parcel at the door, thank you.' }, { sku: `B-${n}`, note: null }],
  });
  const boundary = `----warmup${n}`;
  const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nHoliday photo ${n}\r\n`
    + `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo${n}.txt"\r\nContent-Type: text/plain\r\n\r\nplain text ${n}\r\n--${boundary}--\r\n`;
  const post = (type: string, body: string): TransactionInput => ({
    method: 'POST', uri: `/warm-up/orders/${n}`, protocol: 'HTTP/1.1', remoteAddr: '192.0.2.1', remotePort: 40_000 + n,
    headers: [...BROWSER, ['Content-Type', type], ['Content-Length', String(Buffer.byteLength(body))], ['Cookie', `sid=w${n}x; pref=compact`]],
    body: enc(body),
  });
  const jsonResponse = { status: 200, headers: [['Content-Type', 'application/json']] as Array<[string, string]>, body: enc(json) };
  const htmlResponse = { status: 200, headers: [['Content-Type', 'text/html; charset=utf-8']] as Array<[string, string]> };
  return [
    [{
      method: 'GET', uri: `/warm-up/search?term=garden+chairs+${n}&page=${n}&order=price&region=eu-west&size=25`, protocol: 'HTTP/1.1',
      remoteAddr: '192.0.2.1', remotePort: 40_000 + n, headers: [...BROWSER, ['Referer', 'https://warm-up.invalid/'], ['Cookie', `sid=w${n}x; pref=compact`]],
    }, htmlResponse],
    [post('application/json', json), jsonResponse],
    [post('application/x-www-form-urlencoded', `user=walker${n}&comment=Nice+weather+today+${n}&remember=on`), htmlResponse],
    [post(`multipart/form-data; boundary=${boundary}`, multipart), jsonResponse],
    [post('application/xml', `<order id="${n}"><item sku="A-${n}">garden chair</item></order>`), htmlResponse],
  ];
}
