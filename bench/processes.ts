/** `node` processes that load a bundle and invoke it (see invoke.ts): fresh for a cold start, kept serving for the rest. */
import { spawn, type ChildProcess } from 'child_process';
import { createInterface } from 'readline';
import type { Readable } from 'stream';
import type { ChildSetup } from './function-env';
import type { Command, Operation } from './requests';

/**
 * The bundles of round `round` in the order they run: reversed every other round, so that no bundle
 * always runs first (right after a pause, or after another bundle's load) and the order's effect
 * cancels out in the rounds' ratios.
 */
export const inTurn = <T>(items: readonly T[], round: number): readonly T[] =>
  round % 2 ? [...items].reverse() : items;

function spawnChild(runner: string, childSetup: ChildSetup, mode: 'cold' | 'serve', bundle: string): ChildProcess {
  // fd 3 carries the results; the handler's logs (stdout) are discarded as Lambda's log pipe would take them.
  return spawn(process.execPath, [runner, mode, bundle, JSON.stringify(childSetup.setup)], {
    env: childSetup.env,
    stdio: [mode === 'serve' ? 'pipe' : 'ignore', 'ignore', 'pipe', 'pipe'],
  });
}

/** The first answer of a fresh process: ms from its start to the first answer, and to the bundle imported. */
function coldChild(runner: string, childSetup: ChildSetup, bundle: string): Promise<{ ms: number; imported: number }> {
  return new Promise((resolve, reject) => {
    const child = spawnChild(runner, childSetup, 'cold', bundle);
    let result = '';
    let errors = '';
    child.stdio[3]!.on('data', (chunk: Buffer) => (result += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (errors += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`benchmark child cold ${bundle} exited ${code}: ${errors.trim()}`));
      else resolve(JSON.parse(result));
    });
  });
}

/** A process serving one bundle: one command at a time, each answered with one JSON line (invoke.ts). */
export interface ServingChild {
  run(command: Command): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export async function startServing(runner: string, childSetup: ChildSetup, bundle: string): Promise<ServingChild> {
  const child = spawnChild(runner, childSetup, 'serve', bundle);
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk));
  // A child that died is reported by 'close' (with its stderr); writing to its stdin then must not crash us.
  child.stdin!.on('error', () => undefined);
  const waiting: { resolve(answer: Record<string, number>): void; reject(error: Error): void }[] = [];
  let exited: Error | undefined;
  const lines = createInterface({ input: child.stdio[3] as Readable });
  lines.on('line', (line) => waiting.shift()?.resolve(JSON.parse(line)));
  child.on('error', (error) => {
    exited = error;
    for (const w of waiting.splice(0)) w.reject(error);
  });
  const closed = new Promise<void>((resolve) =>
    child.on('close', (code) => {
      exited = new Error(`benchmark child serve ${bundle} exited ${code}: ${errors.trim()}`);
      for (const w of waiting.splice(0)) w.reject(exited);
      resolve();
    }),
  );
  const next = () =>
    new Promise<Record<string, number>>((resolve, reject) => {
      if (exited) reject(exited);
      else waiting.push({ resolve, reject });
    });
  // Its first line says the bundle is loaded.
  await next();
  return {
    run: (command) => {
      const answer = next();
      child.stdin!.write(JSON.stringify(command) + '\n');
      return answer;
    },
    close: async () => {
      child.stdin!.end();
      await closed;
    },
  };
}

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
      const { ms } = await coldChild(runner, child, bundles[name]);
      if (i >= 0) samples[name].push(ms);
    }
  }
  return samples;
}

/** Invocations the serving processes make before anything is measured: the SSM settings fetched, connections open, code compiled. */
const WARMUP_INVOCATIONS = 30;

/**
 * Warm invocations per second of each operation, one serving process per bundle: `rounds` rounds in
 * which every bundle runs each operation for `ms` in turn (so that a round's ratio compares
 * measurements taken moments apart), after a first round, not counted, that warms the local AWS.
 */
export async function measureWarm<K extends string>(
  runner: string,
  bundles: Record<K, string>,
  child: ChildSetup,
  operations: readonly Operation[],
  ms: number,
  rounds: number,
): Promise<Record<K, Record<string, number[]>>> {
  const names = Object.keys(bundles) as K[];
  const children = await Promise.all(names.map((name) => startServing(runner, child, bundles[name])));
  try {
    for (const serving of children) await serving.run({ warmup: WARMUP_INVOCATIONS });
    const samples = Object.fromEntries(
      names.map((n) => [n, Object.fromEntries(operations.map((op) => [op, [] as number[]]))]),
    ) as Record<K, Record<string, number[]>>;
    for (let i = -1; i < rounds; i++) {
      for (const operation of operations) {
        for (const name of inTurn(names, i)) {
          const { rate } = await children[names.indexOf(name)].run({ rate: operation, ms });
          if (i >= 0) samples[name][operation].push(rate);
        }
      }
    }
    return samples;
  } finally {
    await Promise.all(children.map((serving) => serving.close()));
  }
}
