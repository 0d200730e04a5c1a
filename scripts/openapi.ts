/**
 * `npm run openapi [-- --check]`: writes openapi.json at the repo root, the API's OpenAPI document
 * (lib/openapi.ts, from the contract), with the dev stack's stage and region as the servers'
 * defaults. 2-space JSON as prettier formats it (so `npm run lint` accepts the file as written).
 *
 * The document is committed (for Postman, client generators, reviews); test/infra/openapi.test.ts
 * fails when it differs from what this writes now. `--check` writes nothing: exit code 1 when the
 * file is out of date (a bad argument is exit code 2, scripts/cli.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from '../lib/bundle';
import { resolveStackArgs } from '../lib/config';
import { openApiDocument, type OpenApiOptions } from '../lib/openapi';
import { readStackConfigFile } from '../lib/stack-config-file';
import { DEFAULT_PORT, stackRegion } from '../local/local-api';
import { runCli } from './cli';

export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'openapi.json');

/** The committed document's defaults: the dev stack's (never this shell's ENVIRONMENT_SUFFIX: the file must not vary). */
export function committedDocumentOptions(): OpenApiOptions {
  const file = readStackConfigFile('dev');
  return {
    stage: resolveStackArgs(file.read, {}).environmentSuffix,
    region: stackRegion(file),
    localPort: DEFAULT_PORT,
  };
}

/** The committed document (what openapi.json holds, as data). */
export function committedDocument() {
  return openApiDocument(committedDocumentOptions());
}

/** The text of openapi.json, as this generator writes it. */
async function openApiFileText(): Promise<string> {
  const text = JSON.stringify(committedDocument(), null, 2);
  // Loaded here only: prettier's CommonJS entry needs dynamic import(), which jest's VM refuses.
  const prettier = await import('prettier');
  const config = await prettier.resolveConfig(OPENAPI_FILE);
  return prettier.format(text, { ...config, filepath: OPENAPI_FILE });
}

async function main(check: boolean): Promise<number> {
  const text = await openApiFileText();
  const relative = path.relative(process.cwd(), OPENAPI_FILE);
  if (check) {
    const current = fs.existsSync(OPENAPI_FILE) ? fs.readFileSync(OPENAPI_FILE, 'utf8') : '';
    if (current !== text) {
      console.error(`${relative} is out of date: run npm run openapi`);
      return 1;
    }
    console.log(`${relative} is up to date`);
    return 0;
  }
  fs.writeFileSync(OPENAPI_FILE, text);
  console.log(`wrote ${relative} (${Buffer.byteLength(text)} bytes)`);
  return 0;
}

if (require.main === module) {
  const { check } = runCli(
    {
      command: 'openapi',
      usage: `usage: npm run openapi [-- --check]

Writes openapi.json (OpenAPI 3.0.3) from the contract.

  --check      write nothing; exit code 1 if the file differs from what would be written
  -h, --help   this text`,
      options: { check: { type: 'boolean' } },
    },
    process.argv.slice(2),
  );
  main(check === true).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
