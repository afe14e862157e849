#!/usr/bin/env node
import { missingDefaultConfig, routesHelp, schemaHelp, startHelp, validateHelp, versionHelp } from './help.js';
import { parseArgs } from './args.js';
import { packageVersion } from './version.js';

// Commands are imported when run: `start` (what every gateway process runs) then does not load
// the lint, scan, report and key-management code, and `--version` loads none of it.
const USAGE = `Usage: portcullis <command> [options]

Commands:
  start -c FILE [--workers N]  run the gateway (N processes sharing the port)
  validate -c FILE             check a config and its OpenAPI documents; exit 0 or 1
  routes -c FILE               list every route, its operation and its stages
  schema                       print the config JSON Schema (for editor completion)
  audit verify|search -c FILE  verify the audit trail (exit 1 if tampered) or search it
  keys create|list|revoke|rotate --file F   manage API keys (prints a new key once)
  keys list|rotate --keyring FILE           list or rotate the keyring keys of a config (never prints them)
  fle reencrypt -c FILE --key NAME          re-encrypt JSON lines under a keyring key's current kid
  totp enroll PRINCIPAL --file F            enrol a TOTP step-up secret (prints an otpauth:// URI)
  revoke jti|subject|api-key V | lift … | list   revoke through a running gateway's admin API
  inventory [--json|--openapi]  endpoints in use, zombies and shadow APIs (admin API)
  lint OPENAPI [-c FILE]       security review of an OpenAPI document (+ config); text/json/sarif
  scan --spec F --target URL   dynamic security test of a running API (BOLA, BFLA, auth, injection, fuzz)
  report -c FILE [--events F]  compliance evidence (OWASP, PCI DSS, HIPAA, GDPR); json/html/pdf
  --version                    print the version

portcullis <command> --help prints a command's options and an example.
`;

/** Each command's --help text, loaded with its module. A new command: export its help and add it here. */
const HELP: Readonly<Record<string, () => Promise<string>>> = {
  start: async () => startHelp, validate: async () => validateHelp, routes: async () => routesHelp,
  schema: async () => schemaHelp, version: async () => versionHelp,
  audit: async () => (await import('./audit.js')).help,
  keys: async () => (await import('./keys.js')).help,
  fle: async () => (await import('./fle.js')).help,
  totp: async () => (await import('./totp.js')).help,
  revoke: async () => (await import('./revoke.js')).help,
  inventory: async () => (await import('./inventory.js')).INVENTORY_USAGE,
  lint: async () => (await import('./lint.js')).LINT_USAGE,
  scan: async () => (await import('./scan.js')).SCAN_USAGE,
  report: async () => (await import('./report.js')).REPORT_USAGE,
};

/** Commands that read a config file (-c, default ./portcullis.yaml). */
const NEEDS_CONFIG = new Set(['start', 'validate', 'routes', 'audit']);

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'lint') return (await import('./lint.js')).lintCommand(argv.slice(argv.indexOf('lint') + 1));
  if (args.command === 'scan') return (await import('./scan.js')).scanCommand(argv.slice(argv.indexOf('scan') + 1));
  if (args.command === 'report') return (await import('./report.js')).reportCommand(argv.slice(argv.indexOf('report') + 1));
  const wantsHelp = args.flags.has('--help') || args.flags.has('-h');
  // `portcullis help start` and `portcullis start --help` print the command's own help.
  const helpFor = args.command === 'help' ? args.rest[0] : wantsHelp ? args.command : undefined;
  if (helpFor !== undefined) {
    const load = HELP[helpFor];
    if (load !== undefined) {
      process.stdout.write(await load());
      return 0;
    }
    process.stderr.write(`unknown command "${helpFor}"\n\n${USAGE}`);
    return 1;
  }
  if (args.flags.has('--version') || args.flags.has('-v') || args.command === 'version') {
    process.stdout.write(`portcullis ${packageVersion()}\n`);
    return 0;
  }
  if (wantsHelp || args.command === undefined || args.command === 'help') {
    process.stdout.write(USAGE);
    return args.command === undefined && !wantsHelp ? 1 : 0;
  }
  if (args.config === undefined && NEEDS_CONFIG.has(args.command)) {
    const missing = missingDefaultConfig(args.command);
    if (missing !== undefined) {
      process.stderr.write(missing);
      return 1;
    }
  }
  const config = args.config ?? 'portcullis.yaml';
  switch (args.command) {
    case 'start': {
      const workers = args.workers ?? 1;
      if (!Number.isInteger(workers) || workers < 1) {
        process.stderr.write('--workers must be a positive integer\n');
        return 1;
      }
      return (await import('./start.js')).startCommand(config, workers);
    }
    case 'validate':
      return (await import('./validate.js')).validateCommand(config);
    case 'routes': {
      const [{ routesCommand }, { describeLoadError }] = await Promise.all([import('./routes.js'), import('./validate.js')]);
      try {
        return await routesCommand(config);
      } catch (e) {
        process.stderr.write(`${describeLoadError(e)}\n`);
        return 1;
      }
    }
    case 'keys':
      return (await import('./keys.js')).keysCommand(argv.slice(argv.indexOf('keys') + 1));
    case 'fle':
      return (await import('./fle.js')).fleCommand(argv.slice(argv.indexOf('fle') + 1));
    case 'revoke':
      return (await import('./revoke.js')).revokeCommand(argv.slice(argv.indexOf('revoke') + 1));
    case 'inventory':
      return (await import('./inventory.js')).inventoryCommand(argv.slice(argv.indexOf('inventory') + 1));
    case 'totp':
      return (await import('./totp.js')).totpCommand(argv.slice(argv.indexOf('totp') + 1));
    case 'audit':
      return (await import('./audit.js')).auditCommand(config, argv);
    case 'schema':
      process.stdout.write(`${JSON.stringify((await import('../config/json-schema.js')).configJsonSchema(), null, 2)}\n`);
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
