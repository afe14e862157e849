import { loadOpenApi } from '../../openapi/load.js';
import { PortcullisError } from '../../errors/index.js';
import { sortFindings, type Finding } from '../common/finding.js';
import { BudgetExhausted, ScopedClient, type ScanBudget } from './client.js';
import { ScanContext, type ScanSettings } from './context.js';
import { parseIdentity } from './identity.js';
import { authBypass, bfla, bola, discover } from './checks/access.js';
import { fuzz, injection, massAssignment } from './checks/input.js';
import { exposure, rateLimit } from './checks/output.js';

/** The checks, in the order they run (discovery first, the rate-limit burst last). */
export const SCAN_CHECKS = {
  'auth-bypass': authBypass,
  bola,
  bfla,
  'mass-assignment': massAssignment,
  injection,
  fuzz,
  exposure,
  'rate-limit': rateLimit,
} as const satisfies Record<string, (ctx: ScanContext) => Promise<void>>;
export type ScanCheckName = keyof typeof SCAN_CHECKS;

/** What to scan and how much. */
export interface ScanOptions extends Partial<ScanSettings>, Partial<ScanBudget> {
  readonly spec: string;
  readonly target: string;
  /** `NAME:CREDENTIAL` values (see parseIdentity). */
  readonly as?: readonly string[];
  /** Names of the admin identities (default: admin, root). */
  readonly admins?: readonly string[];
  readonly checks?: readonly ScanCheckName[];
  /** Called with the current check and the requests sent so far. */
  readonly onProgress?: (check: string, sent: number, findings: number) => void;
}

/** The result of a scan. */
export interface ScanReport {
  readonly spec: string;
  readonly target: string;
  readonly seed: number;
  readonly identities: readonly { name: string; admin: boolean }[];
  readonly checks: readonly string[];
  readonly requests: number;
  /** Answers by status class (`2xx`, `4xx`, …, `failed`). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly durationMs: number;
  /** True when the request or time budget stopped the scan early. */
  readonly truncated: boolean;
  readonly findings: readonly Finding[];
}

/**
 * Scans a running API from its OpenAPI document: discovery, then the access checks (auth
 * bypass, BOLA, BFLA), the input checks (mass assignment, injection, fuzzing) and the output
 * checks (data exposure, rate limit), all through one client bound to the target's origin and
 * to the request and time budgets.
 *
 * @example
 * const report = await scan({ spec: 'openapi.yaml', target: 'http://127.0.0.1:8080', as: ['alice:eyJ…', 'bob:eyJ…'] });
 */
export async function scan(options: ScanOptions): Promise<ScanReport> {
  const doc = await loadOpenApi(options.spec);
  const admins = new Set(options.admins ?? []);
  const identities = (options.as ?? []).map((s) => parseIdentity(s, admins));
  const names = new Set<string>();
  for (const i of identities) {
    if (names.has(i.name)) throw new PortcullisError('PCL_ERR_SCAN_SCOPE', `--as "${i.name}" is given twice`);
    names.add(i.name);
  }
  const client = new ScopedClient(options.target, {
    maxRequests: options.maxRequests ?? 2000,
    maxTimeMs: options.maxTimeMs ?? 300_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  });
  const target = new URL(options.target);
  // A target with a path is the API root; a bare origin gets the document's server path.
  const base = target.pathname !== '/' ? `${target.origin}${target.pathname.replace(/\/$/, '')}` : `${target.origin}${doc.basePath}`;
  const settings: ScanSettings = {
    seed: options.seed ?? 1,
    destructive: options.destructive ?? false,
    burst: options.burst ?? 50,
    fuzzPerParameter: options.fuzzPerParameter ?? 4,
  };
  const ctx = new ScanContext(doc, client, identities, settings, base);
  const progress = options.onProgress;
  if (progress !== undefined) ctx.onProgress = (check) => progress(check, client.sent, ctx.findings.length);
  const selected = options.checks ?? (Object.keys(SCAN_CHECKS) as ScanCheckName[]);
  const started = Date.now();
  let truncated = false;
  try {
    await discover(ctx);
    for (const name of Object.keys(SCAN_CHECKS) as ScanCheckName[]) {
      if (selected.includes(name)) await SCAN_CHECKS[name](ctx);
    }
  } catch (e) {
    if (!(e instanceof BudgetExhausted)) throw e;
    truncated = true;
  }
  progress?.('done', client.sent, ctx.findings.length);
  return {
    spec: options.spec,
    target: options.target,
    seed: settings.seed,
    identities: identities.map((i) => ({ name: i.name, admin: i.admin })),
    checks: selected,
    requests: client.sent,
    statuses: client.statuses,
    durationMs: Date.now() - started,
    truncated,
    findings: sortFindings(ctx.findings),
  };
}
