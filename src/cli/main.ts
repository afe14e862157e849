#!/usr/bin/env node
import { configJsonSchema } from '../config/json-schema.js';
import { auditCommand } from './audit.js';
import { parseArgs } from './args.js';
import { routesCommand } from './routes.js';
import { startCommand } from './start.js';
import { describeLoadError, validateCommand } from './validate.js';
import { keysCommand } from './keys.js';
import { revokeCommand } from './revoke.js';
import { inventoryCommand } from './inventory.js';
import { totpCommand } from './totp.js';
import { lintCommand } from './lint.js';
import { scanCommand } from './scan.js';
import { reportCommand } from './report.js';
import { packageVersion } from './version.js';

const USAGE = `Usage: portcullis <command> [options]

Commands:
  start -c FILE [--workers N]  run the gateway (N processes sharing the port)
  validate -c FILE             check a config and its OpenAPI documents; exit 0 or 1
  routes -c FILE               list every route, its operation and its stages
  schema                       print the config JSON Schema (for editor completion)
  audit verify|search -c FILE  verify the audit trail (exit 1 if tampered) or search it
  keys create|list|revoke|rotate --file F   manage API keys (prints a new key once)
  totp enroll PRINCIPAL --file F            enrol a TOTP step-up secret (prints an otpauth:// URI)
  revoke jti|subject|api-key V | lift … | list   revoke through a running gateway's admin API
  inventory [--json|--openapi]  endpoints in use, zombies and shadow APIs (admin API)
  lint OPENAPI [-c FILE]       security review of an OpenAPI document (+ config); text/json/sarif
  scan --spec F --target URL   dynamic security test of a running API (BOLA, BFLA, auth, injection, fuzz)
  report -c FILE [--events F]  compliance evidence (OWASP, PCI DSS, HIPAA, GDPR); json/html/pdf
  --version                    print the version
`;

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'lint') return lintCommand(argv.slice(argv.indexOf('lint') + 1));
  if (args.command === 'scan') return scanCommand(argv.slice(argv.indexOf('scan') + 1));
  if (args.command === 'report') return reportCommand(argv.slice(argv.indexOf('report') + 1));
  if (args.flags.has('--version') || args.flags.has('-v') || args.command === 'version') {
    process.stdout.write(`portcullis ${packageVersion()}\n`);
    return 0;
  }
  if (args.flags.has('--help') || args.flags.has('-h') || args.command === undefined || args.command === 'help') {
    process.stdout.write(USAGE);
    return args.command === undefined && !args.flags.has('--help') && !args.flags.has('-h') ? 1 : 0;
  }
  const config = args.config ?? 'portcullis.yaml';
  switch (args.command) {
    case 'start': {
      const workers = args.workers ?? 1;
      if (!Number.isInteger(workers) || workers < 1) {
        process.stderr.write('--workers must be a positive integer\n');
        return 1;
      }
      return startCommand(config, workers);
    }
    case 'validate':
      return validateCommand(config);
    case 'routes':
      try {
        return await routesCommand(config);
      } catch (e) {
        process.stderr.write(`${describeLoadError(e)}\n`);
        return 1;
      }
    case 'keys':
      return keysCommand(argv.slice(argv.indexOf('keys') + 1));
    case 'revoke':
      return revokeCommand(argv.slice(argv.indexOf('revoke') + 1));
    case 'inventory':
      return inventoryCommand(argv.slice(argv.indexOf('inventory') + 1));
    case 'totp':
      return totpCommand(argv.slice(argv.indexOf('totp') + 1));
    case 'audit':
      return auditCommand(config, argv);
    case 'schema':
      process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command "${args.command}"\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // A started gateway resolves only at shutdown; exit then so no stray handle keeps us up.
  if (process.argv[2] === 'start') setImmediate(() => process.exit(code));
}, (err: unknown) => {
  process.stderr.write(`portcullis: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
