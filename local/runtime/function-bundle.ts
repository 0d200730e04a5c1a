/**
 * A function's bundle as the local runtime runs it: built by lib/bundle.ts (the one esbuild
 * configuration the stack ships) into dist/lambda/<function>/index.mjs, written atomically (other
 * processes may be loading the file), and rebuilt when the function's sources change (--watch).
 */
import * as fs from 'fs';
import * as path from 'path';
import { BUNDLE_DIR, BUNDLE_FILE, PROJECT_ROOT, buildBundle } from '../../lib/bundle';
import type { FunctionDefinition } from '../../lib/functions';

export interface BuiltBundle {
  file: string;
  sha256: string;
  bytes: number;
}

export function buildFunctionBundle(
  definition: Pick<FunctionDefinition<unknown>, 'key' | 'entry'>,
  bundleDir: string = BUNDLE_DIR,
): BuiltBundle {
  const bundle = buildBundle(definition.entry);
  const outDir = path.join(bundleDir, definition.key);
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, BUNDLE_FILE);
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, bundle.code);
  fs.renameSync(temporary, file);
  return { file, sha256: bundle.sha256, bytes: bundle.bytes };
}

/** Directories whose sources end up in the bundle. */
const FUNCTION_SOURCE_DIRS = [path.join(PROJECT_ROOT, 'lambda')];

/**
 * Calls `onChange` (debounced) when a source file changes; returns a function that stops watching.
 * Changes during a running `onChange` coalesce into one more call after it.
 */
export function watchSources(
  onChange: () => Promise<void>,
  dirs: string[] = FUNCTION_SOURCE_DIRS,
  debounceMs = 150,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return;
    }
    running = onChange().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        run();
      }
    });
  };
  const watchers = dirs.map((dir) =>
    fs.watch(dir, { recursive: true }, (_event, name) => {
      if (name && !/\.(ts|mts|js|mjs|json)$/.test(String(name))) return;
      clearTimeout(timer);
      timer = setTimeout(run, debounceMs);
    }),
  );
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
