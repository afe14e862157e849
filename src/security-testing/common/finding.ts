/** How bad a finding is, from worst to least. The order is the one `--fail-on` compares with. */
export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = typeof SEVERITIES[number];

/** The OWASP API Security Top 10 (2023) categories, by id. */
export const OWASP_API_2023 = {
  'API1:2023': 'Broken Object Level Authorization',
  'API2:2023': 'Broken Authentication',
  'API3:2023': 'Broken Object Property Level Authorization',
  'API4:2023': 'Unrestricted Resource Consumption',
  'API5:2023': 'Broken Function Level Authorization',
  'API6:2023': 'Unrestricted Access to Sensitive Business Flows',
  'API7:2023': 'Server Side Request Forgery',
  'API8:2023': 'Security Misconfiguration',
  'API9:2023': 'Improper Inventory Management',
  'API10:2023': 'Unsafe Consumption of APIs',
} as const;
export type OwaspCategory = keyof typeof OWASP_API_2023;

/** What a rule (static or dynamic) is: shown once per rule in SARIF's `tool.driver.rules`. */
export interface RuleMeta {
  /** Stable id, e.g. `unbounded-string`; never reused for another meaning. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly owasp: OwaspCategory;
  /** How to fix what the rule finds, one or two sentences. */
  readonly fix: string;
}

/** A place in a file: 1-based line and column. */
export interface SourceLocation {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  /** JSON pointer or config path of the node, e.g. `#/paths/~1users/get`. */
  readonly path?: string;
}

/** One finding of a rule. */
export interface Finding {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly owasp: OwaspCategory;
  readonly message: string;
  readonly fix: string;
  readonly location?: SourceLocation;
  /** The operation concerned, e.g. `GET /users/{id}`. */
  readonly operation?: string;
  /** Scan findings: the exact request that shows it, as a curl command line. */
  readonly reproduce?: string;
  /** Scan findings: extra facts (statuses, timings), for people and JSON consumers. */
  readonly evidence?: Readonly<Record<string, unknown>>;
}

/**
 * Parses a `--fail-on` value and tells whether a finding reaches it.
 *
 * @example
 * reaches('critical', 'high'); // true
 * reaches('low', 'high');      // false
 */
export function reaches(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) <= SEVERITIES.indexOf(threshold);
}

/** True when `value` names a severity. */
export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

/** Findings sorted worst first, then by file, line and rule id (stable output for diffs). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)
    || (a.location?.file ?? '').localeCompare(b.location?.file ?? '')
    || (a.location?.line ?? 0) - (b.location?.line ?? 0)
    || a.ruleId.localeCompare(b.ruleId));
}

/** Counts of findings per severity, every severity present (0 when none). */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}
