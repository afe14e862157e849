/** A rule-set load failure, always carrying the source position. */
export class WafLoadError extends Error {
  readonly file: string;
  readonly line: number;
  /**
   * @example
   * throw new WafLoadError('unknown directive SecFoo', 'rules.conf', 3) // message "rules.conf:3: unknown directive SecFoo"
   */
  constructor(message: string, file: string, line: number) {
    super(`${file}:${line}: ${message}`);
    this.name = 'WafLoadError';
    this.file = file;
    this.line = line;
  }
}
