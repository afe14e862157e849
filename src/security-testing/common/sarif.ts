import { relative, isAbsolute } from 'node:path';
import { OWASP_API_2023, type Finding, type RuleMeta, type Severity } from './finding.js';

const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note',
};
// GitHub code scanning reads `security-severity` (0.0-10.0) to rank security alerts.
const SCORE: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** What the SARIF log says about the tool that produced it. */
export interface SarifTool {
  readonly name: string;
  readonly version: string;
  readonly informationUri?: string;
}

/**
 * Renders findings as a SARIF 2.1.0 log (one run): each rule in `tool.driver.rules` with its
 * OWASP category as a tag, each finding a `result` with a level, a message (the fix hint
 * included) and, when it has a file location, a physical location relative to `baseDir`.
 *
 * @example
 * const log = toSarif(findings, rules, { name: 'portcullis-lint', version: '0.1.0' }, process.cwd());
 * log.runs[0].results.length === findings.length; // true
 */
export function toSarif(findings: readonly Finding[], rules: readonly RuleMeta[], tool: SarifTool, baseDir: string): SarifLog {
  const index = new Map(rules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: tool.name,
          version: tool.version,
          ...(tool.informationUri !== undefined ? { informationUri: tool.informationUri } : {}),
          rules: rules.map((r) => ({
            id: r.id,
            name: r.id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
            shortDescription: { text: r.title },
            fullDescription: { text: `${r.title} (${r.owasp} ${OWASP_API_2023[r.owasp]})` },
            help: { text: r.fix },
            defaultConfiguration: { level: LEVEL[r.severity] },
            properties: { tags: ['security', `owasp-${r.owasp}`], 'security-severity': SCORE[r.severity] },
          })),
        },
      },
      results: findings.map((f) => ({
        ruleId: f.ruleId,
        ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId)! } : {}),
        level: LEVEL[f.severity],
        message: { text: `${f.message} Fix: ${f.fix}` },
        ...(f.location !== undefined ? { locations: [location(f, baseDir)] } : {}),
        properties: {
          severity: f.severity,
          owasp: f.owasp,
          ...(f.operation !== undefined ? { operation: f.operation } : {}),
          ...(f.reproduce !== undefined ? { reproduce: f.reproduce } : {}),
        },
      })),
      columnKind: 'unicodeCodePoints',
    }],
  };
}

function location(f: Finding, baseDir: string): SarifLocation {
  const loc = f.location!;
  const rel = isAbsolute(loc.file) ? relative(baseDir, loc.file) : loc.file;
  const uri = rel.split('\\').join('/');
  const region = loc.line !== undefined ? { startLine: loc.line, ...(loc.column !== undefined ? { startColumn: loc.column } : {}) } : undefined;
  return {
    physicalLocation: { artifactLocation: { uri }, ...(region !== undefined ? { region } : {}) },
    ...(loc.path !== undefined ? { logicalLocations: [{ fullyQualifiedName: loc.path }] } : {}),
  };
}

interface SarifLocation {
  physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number; startColumn?: number } };
  logicalLocations?: { fullyQualifiedName: string }[];
}

/** The subset of the SARIF 2.1.0 log shape this module writes. */
export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: {
    tool: { driver: { name: string; version: string; informationUri?: string; rules: unknown[] } };
    results: { ruleId: string; ruleIndex?: number; level: string; message: { text: string }; locations?: SarifLocation[]; properties: Record<string, unknown> }[];
    columnKind: string;
  }[];
}
