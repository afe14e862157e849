import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * `--help` text of the commands that live in main.ts or have no module of their own. A command
 * with its own file exports `help` there (usage, options, an example) and is listed in main.ts.
 */
export const startHelp = `Usage: portcullis start [-c FILE] [--workers N]
Runs the gateway: the public listener (default :8080) and the admin listener (127.0.0.1:9901).
  -c, --config FILE   the config file (default ./portcullis.yaml)
  -w, --workers N     N processes sharing the port (node:cluster); state is shared through the primary
SIGHUP or a change of the file reloads the config; SIGTERM drains and stops.

Example:
  portcullis start -c examples/quickstart/portcullis.yaml
`;

export const validateHelp = `Usage: portcullis validate [-c FILE]
Loads the config, its \${ENV} references, its OpenAPI documents and every stage's options, and
reports every problem at once as file:line path: message. Exit 0 when valid, 1 otherwise.
  -c, --config FILE   the config file (default ./portcullis.yaml)

Example:
  portcullis validate -c portcullis.yaml
`;

export const routesHelp = `Usage: portcullis routes [-c FILE]
Prints the route table: method, path, API, operation, body limit and the stages on each route.
  -c, --config FILE   the config file (default ./portcullis.yaml)

Example:
  portcullis routes -c examples/quickstart/portcullis.yaml
`;

export const schemaHelp = `Usage: portcullis schema
Prints the JSON Schema of the config file (for editor completion and CI checks).

Example:
  portcullis schema > portcullis.schema.json
`;

export const versionHelp = `Usage: portcullis --version
Prints the version.

Example:
  portcullis --version
`;

/**
 * The message for a command that needs a config when none was named and ./portcullis.yaml is
 * missing: where it looked and how to name one. Undefined when the default file exists.
 *
 * @example
 * missingDefaultConfig('start', '/srv'); // 'portcullis start: no config file: looked for /srv/portcullis.yaml ...'
 */
export function missingDefaultConfig(command: string, cwd = process.cwd()): string | undefined {
  const file = resolve(cwd, 'portcullis.yaml');
  if (existsSync(file)) return undefined;
  return `portcullis ${command}: no config file: looked for ${file} (no -c given).\n`
    + `Name one with -c, e.g. portcullis ${command} -c examples/quickstart/portcullis.yaml\n`
    + `(copy portcullis.example.yaml for every option at its default).\n`;
}
