/**
 * GET /shipments against a DynamoDB whose every Query takes a fixed QUERY_LATENCY_MS (the service
 * time the fault injector gives it), for 1, 8 and 32 StatusIndex shards: the listing queries the
 * shards in parallel, so more shards must not mean proportionally more latency. One stack per shard
 * count on the project's one local AWS, state records seeded as the consumer writes them, the
 * shipped bundle served by its own process with its own environment (lib/functions.ts), as the
 * benchmark runs it for every figure. The API function's floor (the libraries it bundles, the same
 * shard queries: bench/baselines/floor.ts) runs beside it in every round: how a listing of the
 * libraries we must use scales on this machine, with none of our code.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { TapStackArgs } from '../lib/config';
import { resourceNames } from '../lib/names';
import { functionEnvironment } from '../local/runtime/function-env';
import { startStackAws } from '../local/stack-aws';
import { BENCH_REGION, benchStackArgs, listedStateRecords, seedingClient } from './function-env';
import { inTurn, startServing, type ServingChild } from './processes';

interface ShardFigures {
  p50Ms: number;
  p99Ms: number;
  /** The median over the rounds of this count's p50 over the 1-shard p50 of the same round and bundle. */
  ratioTo1: number;
}

/** Ours (the shipped bundle) at one shard count, and its floor's figures beside it. */
export interface ShardScaling extends ShardFigures {
  shards: number;
  /** Per bundle. */
  samples: number;
  floor: ShardFigures;
}

const SHARD_COUNTS = [1, 8, 32] as const;
/** What every DynamoDB Query costs on the stand-in: a round trip to a real table, roughly. */
export const QUERY_LATENCY_MS = 5;

const SHARD_COUNT_KEY = 'statusShardCount' satisfies keyof TapStackArgs;
/** Requests each serving process makes before timing: the SSM settings fetched, connections open, code compiled. */
const WARMUP_REQUESTS = 20;

export interface ShardRun {
  /** The child runner (invoke.mjs), the API function's bundle and its floor's. */
  runner: string;
  bundles: { ours: string; floor: string };
  taskRoot: string;
  /** Requests per shard count and round. */
  requests: number;
  /** The shard counts are measured in turn, this many rounds, so that the machine's drift hits all alike. */
  rounds: number;
}

const BUNDLES = ['ours', 'floor'] as const;
type Samples = { p50: number; p99: number }[];

/** Per shard count and bundle: the median over the rounds of each round's p50 and p99, and of its ratio to 1 shard. */
export async function measureShardScaling(run: ShardRun): Promise<ShardScaling[]> {
  const stacks = await Promise.all(SHARD_COUNTS.map((shards) => startShardStack(shards, run.taskRoot)));
  // One serving process per stack and bundle, alive for the whole measurement, as warm functions are.
  const serving: ServingChild[][] = [];
  try {
    for (const stack of stacks) {
      serving.push(await Promise.all(BUNDLES.map((b) => startServing(run.runner, stack.child, run.bundles[b]))));
    }
    for (const [i, stack] of stacks.entries()) {
      for (const child of serving[i]) await child.run({ latency: 'shipments', requests: WARMUP_REQUESTS });
      stack.aws.calls.clear();
    }
    const rounds = BUNDLES.map(() => SHARD_COUNTS.map((): Samples => []));
    for (let round = 0; round < run.rounds; round++) {
      for (const [i, stack] of stacks.entries()) {
        for (const bundle of inTurn(BUNDLES, round)) {
          const b = BUNDLES.indexOf(bundle);
          const { p50, p99 } = await serving[i][b].run({ latency: 'shipments', requests: run.requests });
          rounds[b][i].push({ p50, p99 });
          // Every request queried every shard once: the injected latency was paid by each query.
          const queries = stack.aws.calls.of('dynamodb', 'Query').length;
          stack.aws.calls.clear();
          if (queries !== stack.shards * run.requests) {
            throw new Error(
              `${bundle}, ${stack.shards} shards: expected ${stack.shards} Query calls per request, got ${queries}`,
            );
          }
        }
      }
    }
    const figures = (byCount: Samples[], i: number): ShardFigures => ({
      p50Ms: round(median(byCount[i].map((r) => r.p50))),
      p99Ms: round(median(byCount[i].map((r) => r.p99))),
      ratioTo1: round(median(byCount[i].map((r, k) => r.p50 / byCount[0][k].p50))),
    });
    return stacks.map((stack, i) => ({
      shards: stack.shards,
      ...figures(rounds[0], i),
      samples: run.requests * run.rounds,
      floor: figures(rounds[1], i),
    }));
  } finally {
    await Promise.all(serving.flat().map((child) => child.close()));
    await Promise.all(stacks.map((stack) => stack.close()));
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** One stack with `shards` StatusIndex shards, its state records seeded, every Query then taking QUERY_LATENCY_MS. */
async function startShardStack(shards: number, taskRoot: string) {
  const args = benchStackArgs({ [SHARD_COUNT_KEY]: shards }, `bench-shards-${shards}`);
  const stack = await startStackAws(args, { region: BENCH_REGION });
  const { aws } = stack;
  try {
    const documents = seedingClient(aws);
    try {
      for (const Item of listedStateRecords(args)) {
        await documents.send(new PutCommand({ TableName: stack.tableName, Item }));
      }
    } finally {
      documents.destroy();
    }
    // Seeding is not what the function calls, nor should it pay the latency.
    aws.calls.clear();
    aws.faults.add(`dynamodb:Query=+${QUERY_LATENCY_MS}ms`);
    const definition = stack.definitions.api;
    const child = {
      env: functionEnvironment(definition, aws.env, taskRoot),
      setup: {
        kind: 'api' as const,
        definition,
        region: aws.region,
        accountId: aws.accountId,
        stage: resourceNames(args.environmentSuffix).stage,
      },
    };
    return { shards, aws, child, close: () => stack.close() };
  } catch (error) {
    await stack.close();
    throw error;
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
