/** Fresh `node` processes that load a bundle and invoke it (see invoke.ts). */
import { spawn } from 'child_process';

function runChild(runner: string, args: string[], env: Record<string, string>): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    // fd 3 carries the result; the handler's logs (stdout) are discarded as Lambda's log pipe would take them.
    const child = spawn(process.execPath, [runner, ...args], { env, stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
    let result = '';
    let errors = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (result += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`benchmark child ${args.join(' ')} exited ${code}: ${errors.trim()}`));
      else resolve(JSON.parse(result));
    });
  });
}

/** Cold start in ms of each bundle, `runs` fresh processes each, interleaved so drift hits all alike. */
export async function measureColdStart<K extends string>(
  runner: string,
  bundles: Record<K, string>,
  env: Record<string, string>,
  runs: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(bundles) as K[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < runs; i++) {
    for (const name of names) samples[name].push((await runChild(runner, ['cold', bundles[name]], env)).ms);
  }
  return samples;
}

/** Warm invocations per second (POST and GET) in one process per bundle, `repeats` times. */
export async function measureWarm<K extends string>(
  runner: string,
  bundles: Record<K, string>,
  env: Record<string, string>,
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
      const { post, get } = await runChild(runner, ['warm', bundles[name], String(ms)], env);
      samples[name].post.push(post);
      samples[name].get.push(get);
    }
  }
  return samples;
}
