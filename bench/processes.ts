/** Fresh `node` processes that load a bundle and invoke it (see invoke.ts). */
import { spawn } from 'child_process';
import type { InvokeSetup } from './requests';

/** What every child gets: its whole environment (the function's) and the invocation setup. */
export interface ChildSetup {
  env: Record<string, string>;
  setup: InvokeSetup;
}

function runChild(
  runner: string,
  childSetup: ChildSetup,
  mode: 'cold' | 'warm',
  bundle: string,
  ...rest: string[]
): Promise<Record<string, number>> {
  const args = [mode, bundle, JSON.stringify(childSetup.setup), ...rest];
  return new Promise((resolve, reject) => {
    // fd 3 carries the result; the handler's logs (stdout) are discarded as Lambda's log pipe would take them.
    const child = spawn(process.execPath, [runner, ...args], {
      env: childSetup.env,
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    });
    let result = '';
    let errors = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (result += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`benchmark child ${mode} ${bundle} exited ${code}: ${errors.trim()}`));
      else resolve(JSON.parse(result));
    });
  });
}

/** Cold start in ms of each bundle, `runs` fresh processes each, interleaved so drift hits all alike. */
export async function measureColdStart<K extends string>(
  runner: string,
  bundles: Record<K, string>,
  child: ChildSetup,
  runs: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(bundles) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < runs; i++) {
    for (const name of names) samples[name].push((await runChild(runner, child, 'cold', bundles[name])).ms);
  }
  return samples;
}

/** Warm invocations per second (POST and GET) in one process per bundle, `repeats` times. */
export async function measureWarm<K extends string>(
  runner: string,
  bundles: Record<K, string>,
  child: ChildSetup,
  ms: number,
  repeats: number,
): Promise<Record<K, { post: number[]; get: number[] }>> {
  const names = Object.keys(bundles) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, { post: [] as number[], get: [] as number[] }])) as Record<
    K,
    { post: number[]; get: number[] }
  >;
  for (let i = 0; i < repeats; i++) {
    for (const name of names) {
      const { post, get } = await runChild(runner, child, 'warm', bundles[name], String(ms));
      samples[name].post.push(post);
      samples[name].get.push(get);
    }
  }
  return samples;
}
