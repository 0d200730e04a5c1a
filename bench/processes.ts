/** Fresh `node` processes that load a bundle and invoke it (see invoke.ts). */
import { spawn } from 'child_process';
import type { ChildSetup } from './function-env';

function runChild(
  runner: string,
  childSetup: ChildSetup,
  mode: 'cold' | 'warm' | 'latency',
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

/**
 * The bundles of round `round` in the order they run: reversed every other round, so that no bundle
 * always runs first (right after a pause, or after another bundle's load) and the order's effect
 * cancels out in the rounds' ratios.
 */
export const inTurn = <T>(items: readonly T[], round: number): readonly T[] =>
  round % 2 ? [...items].reverse() : items;

/**
 * Cold start in ms of each bundle, `runs` fresh processes each, interleaved so drift hits all alike.
 * A first round, not counted, warms the local AWS (the engine's own code is compiled on its first calls).
 */
export async function measureColdStart<K extends string>(
  runner: string,
  bundles: Record<K, string>,
  child: ChildSetup,
  runs: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(bundles) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let i = -1; i < runs; i++) {
    for (const name of inTurn(names, i)) {
      const { ms } = await runChild(runner, child, 'cold', bundles[name]);
      if (i >= 0) samples[name].push(ms);
    }
  }
  return samples;
}

/**
 * Warm invocations per second of each operation, in one process per bundle, `repeats` times,
 * interleaved; after a shorter first round, not counted, that warms the local AWS.
 */
export async function measureWarm<K extends string>(
  runner: string,
  bundles: Record<K, string>,
  child: ChildSetup,
  ms: number,
  repeats: number,
): Promise<Record<K, Record<string, number[]>>> {
  const names = Object.keys(bundles) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, {} as Record<string, number[]>])) as Record<
    K,
    Record<string, number[]>
  >;
  for (let i = -1; i < repeats; i++) {
    for (const name of inTurn(names, i)) {
      const rates = await runChild(runner, child, 'warm', bundles[name], String(i < 0 ? Math.ceil(ms / 3) : ms));
      if (i < 0) continue;
      const byOperation: Record<string, number[]> = samples[name];
      for (const [operation, rate] of Object.entries(rates)) (byOperation[operation] ??= []).push(rate);
    }
  }
  return samples;
}

/** Median and 99th percentile ms of `requests` sequential invocations of one operation, in one process. */
export async function measureLatency(
  runner: string,
  bundle: string,
  child: ChildSetup,
  requests: number,
  operation: string,
): Promise<{ p50: number; p99: number }> {
  const { p50, p99 } = await runChild(runner, child, 'latency', bundle, String(requests), operation);
  return { p50, p99 };
}
