/**
 * The one esbuild configuration for the function. The stack ships its output, `npm run build`
 * writes it to dist/lambda/, the local API and the benchmarks run it: what is tested is what ships.
 */
import { buildSync, type BuildOptions } from 'esbuild';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export const PROJECT_ROOT = path.resolve(__dirname, '..');
export const HANDLER_ENTRY = path.join(PROJECT_ROOT, 'lambda', 'handler.ts');
export const BUNDLE_DIR = path.join(PROJECT_ROOT, 'dist', 'lambda');
/** The file name inside the deployment package; the Lambda handler is `index.handler`. */
export const BUNDLE_FILE = 'index.mjs';
export const LAMBDA_HANDLER = 'index.handler';
const XRAY_CONTEXT_MODULE = path.join(PROJECT_ROOT, 'lambda', 'xray-async-context.ts');

/** ESM output calls require() through this shim (the X-Ray SDK under Powertools Tracer needs it). */
const REQUIRE_SHIM = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

export function bundleOptions(entry: string = HANDLER_ENTRY): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    target: 'node22',
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
export function buildBundle(entry: string = HANDLER_ENTRY): Bundle {
  const result = buildSync({ ...bundleOptions(entry), write: false, outfile: BUNDLE_FILE });
  const output = result.outputFiles.find((f) => f.path.endsWith(BUNDLE_FILE));
  if (!output) throw new Error(`esbuild produced no ${BUNDLE_FILE} for ${entry}`);
  const code = output.text;
  return { code, sha256: createHash('sha256').update(code).digest('hex'), bytes: Buffer.byteLength(code) };
}

/** Builds the bundle and writes it to `outDir/index.mjs`; returns the bundle and the file path. */
export function writeBundle(outDir: string = BUNDLE_DIR, entry: string = HANDLER_ENTRY): Bundle & { file: string } {
  const bundle = buildBundle(entry);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, BUNDLE_FILE);
  fs.writeFileSync(file, bundle.code);
  return { ...bundle, file };
}
