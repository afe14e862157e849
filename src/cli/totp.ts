import { enrolTotp } from '../stages/authn/providers/totp/index.js';
import { parseOptions, type CliIo } from './keys.js';

const USAGE = `Usage: portcullis totp enroll <principal> --file totp.yaml [--issuer Portcullis] [--force]
Creates a TOTP secret for the principal, stores it in the file and prints an otpauth:// URI
(render it as a QR code for an authenticator app). --force replaces an existing enrolment.
`;

/** `portcullis totp --help`: usage, options and an example. */
export const help = `${USAGE}
Example:
  portcullis totp enroll alice --file totp.yaml --issuer "Acme API"
`;

const defaultIo: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env, now: Date.now };

/**
 * `portcullis totp enroll <principal> --file F`: enrols a principal for TOTP step-up.
 *
 * @example
 * await totpCommand(['enroll', 'alice', '--file', 'totp.yaml']);
 */
export async function totpCommand(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  const [sub, principal, ...rest] = argv;
  const force = rest.includes('--force');
  let opts: Map<string, string>;
  try {
    opts = parseOptions(rest.filter((a) => a !== '--force'));
  } catch (err) {
    io.err(`${(err as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const file = opts.get('file');
  if (sub !== 'enroll' || principal === undefined || principal.startsWith('--') || file === undefined) {
    io.err(USAGE);
    return 1;
  }
  try {
    const r = enrolTotp(file, principal, { issuer: opts.get('issuer') ?? 'Portcullis', force, now: io.now() });
    if (typeof r === 'string') throw new Error(`${principal} is already enrolled (use --force to replace)`);
    const { uri } = r;
    io.err(`enrolled ${principal}; the URI below holds the secret: show it only to its owner\n`);
    io.out(`${uri}\n`);
    return 0;
  } catch (err) {
    io.err(`portcullis totp: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
