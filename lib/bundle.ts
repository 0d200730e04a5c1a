/**
 * The one esbuild configuration, and the Lambda runtime it targets. The stack ships its output,
 * `npm run build` writes it to dist/lambda/, the local API, the tests and the benchmarks run it:
 * what is tested is what ships.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { createHash } from 'crypto';
import * as path from 'path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const BUNDLE_DIR = path.join(PROJECT_ROOT, 'dist', 'lambda');
/** The Lambda runtime every function runs on; esbuild targets its Node version. */
export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_ARCHITECTURE = 'arm64';
/** The file name inside the deployment package; the Lambda handler is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';
export const LAMBDA_HANDLER = `${path.parse(BUNDLE_FILE).name}.handler`;
const XRAY_CONTEXT_MODULE = path.join(PROJECT_ROOT, 'lambda', 'xray-async-context.ts');

/** ESM output calls require() through this shim (the X-Ray SDK under Powertools Tracer needs it). */
const REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/** `entry`: the function's source file (FunctionDefinition.entry), absolute or relative to the project root. */
function bundleOptions(entry: string): BuildOptions {
  return {
    entryPoints: [path.resolve(PROJECT_ROOT, entry)],
    bundle: true,
    platform: 'node',
    target: LAMBDA_RUNTIME.replace(/^nodejs(\d+)\.x$/, 'node$1'),
    format: 'esm',
    // ESM builds of the SDK are smaller and initialise faster than its CJS builds.
    mainFields: ['module', 'main'],
    minify: true,
    legalComments: 'none',
    sourcemap: false,
    banner: { js: REQUIRE_SHIM },
    // Everything is bundled (including the SDK): pinned versions, no reliance on the runtime's copy.
    external: [],
    // The X-Ray SDK's context store on AsyncLocalStorage instead of cls-hooked (see that file for why).
    alias: { 'cls-hooked/context': XRAY_CONTEXT_MODULE },
    logLevel: 'silent',
  };
}

export interface Bundle {
  code: string;
  sha256: string;
  bytes: number;
}

/** Builds the bundle in memory. Deterministic: identical sources give identical bytes. */
export function buildBundle(entry: string): Bundle {
  const result = buildSync({ ...bundleOptions(entry), write: false, outfile: BUNDLE_FILE });
  const output = result.outputFiles.find((f) => f.path.endsWith(BUNDLE_FILE));
  if (!output) throw new Error(`esbuild produced no ${BUNDLE_FILE} for ${entry}`);
  const code = output.text;
  return { code, sha256: createHash('sha256').update(code).digest('hex'), bytes: Buffer.byteLength(code) };
}
