/** Parsed command line: the command, `-c/--config`, `--workers`, flags. */
export interface CliArgs {
  readonly command: string | undefined;
  readonly config: string | undefined;
  readonly workers: number | undefined;
  readonly flags: ReadonlySet<string>;
  readonly rest: readonly string[];
}

/**
 * A small argv parser: the CLI has five commands and three options, which does not
 * justify a dependency.
 *
 * @example
 * parseArgs(['start', '-c', 'portcullis.yaml']).config; // 'portcullis.yaml'
 */
export function parseArgs(argv: readonly string[]): CliArgs {
  let command: string | undefined;
  let config: string | undefined;
  let workers: number | undefined;
  const flags = new Set<string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--config') config = argv[++i];
    else if (a.startsWith('--config=')) config = a.slice(9);
    else if (a === '--workers' || a === '-w') workers = Number(argv[++i]);
    else if (a.startsWith('--workers=')) workers = Number(a.slice(10));
    else if (a.startsWith('-')) flags.add(a);
    else if (command === undefined) command = a;
    else rest.push(a);
  }
  return { command, config, workers, flags, rest };
}
