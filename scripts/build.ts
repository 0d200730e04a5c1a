/**
 * `npm run build`: writes each function's bundle, the very bytes the stack ships, to
 * dist/lambda/<function>/index.mjs. Takes no arguments: -h/--help prints the usage, anything else
 * is exit code 2 (scripts/cli.ts).
 */
import { FUNCTIONS } from '../lib/functions';
import type { FunctionKey } from '../lib/names';
import { buildFunctionBundle } from '../local/runtime/function-bundle';
import { runCli } from './cli';

runCli(
  {
    command: 'build',
    usage: `usage: npm run build

Writes each function's bundle to dist/lambda/<function>/index.mjs and prints its file, size and sha256. Takes no arguments.

  -h, --help   this text`,
    options: {},
  },
  process.argv.slice(2),
);

for (const [key, { entry }] of Object.entries(FUNCTIONS) as [FunctionKey, (typeof FUNCTIONS)[FunctionKey]][]) {
  const bundle = buildFunctionBundle({ key, entry });
  console.log(`${bundle.file}  ${(bundle.bytes / 1024).toFixed(1)} KiB  sha256 ${bundle.sha256}`);
}
