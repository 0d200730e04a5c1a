/**
 * GET /shipments against a DynamoDB whose every Query takes a fixed QUERY_LATENCY_MS (the service
 * time the fault injector gives it), for 1, 8 and 32 StatusIndex shards: the listing queries the
 * shards in parallel, so more shards must not mean proportionally more latency. One stack per shard
 * count on the project's one local AWS, state records seeded as the consumer writes them, the
 * shipped bundle run in a fresh process with its own environment (lib/functions.ts), as the
 * benchmark runs it for every figure.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TRACKING_TABLE } from '../lambda/contract';
import { statusShard } from '../lambda/shard';
import { updatedKey, type StateRecord } from '../lambda/state';
import type { TapStackArgs } from '../lib/config';
import { resourceNames } from '../lib/names';
import type { LocalAws } from '../local/aws';
import { functionEnvironment } from '../local/runtime/function-env';
import { startStackAws } from '../local/stack-aws';
import { BENCH_REGION, benchStackArgs } from './function-env';
import { measureLatency } from './processes';
import { LISTED_SHIPMENTS, SHIPMENTS_STATUS } from './requests';

export interface ShardScaling {
  shards: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
}

const SHARD_COUNTS = [1, 8, 32] as const;
/** What every DynamoDB Query costs on the stand-in: a round trip to a real table, roughly. */
export const QUERY_LATENCY_MS = 5;

const SHARD_COUNT_KEY = 'statusShardCount' satisfies keyof TapStackArgs;
/** The warm-up the child runs before timing (invoke.ts): the SSM settings fetched, connections open. */
const WARMUP_REQUESTS = 20;
const SEED_CONCURRENCY = 16;
const SEED_TIME = Date.parse('2025-11-24T16:00:00.000Z');

export interface ShardRun {
  /** The child runner (invoke.mjs) and the API function's bundle. */
  runner: string;
  bundle: string;
  taskRoot: string;
  requests: number;
}

export async function measureShardScaling(run: ShardRun): Promise<ShardScaling[]> {
  const results: ShardScaling[] = [];
  for (const shards of SHARD_COUNTS) results.push(await measureOne(shards, run));
  return results;
}

async function measureOne(shards: number, run: ShardRun): Promise<ShardScaling> {
  const args = benchStackArgs({ [SHARD_COUNT_KEY]: shards }, `bench-shards-${shards}`);
  const stack = await startStackAws(args, { region: BENCH_REGION });
  const { aws } = stack;
  try {
    await seedStateRecords(aws, stack.tableName, args);
    // Seeding is not what the function calls, nor should it pay the latency.
    aws.calls.clear();
    aws.faults.add(`dynamodb:Query=+${QUERY_LATENCY_MS}ms`);
    const definition = stack.definitions.api;
    const child = {
      env: functionEnvironment(definition, aws.env, run.taskRoot),
      setup: {
        kind: 'api' as const,
        definition,
        region: aws.region,
        accountId: aws.accountId,
        stage: resourceNames(args.environmentSuffix).stage,
      },
    };
    const { p50, p99 } = await measureLatency(run.runner, run.bundle, child, run.requests, 'shipments');
    // Every request queried every shard once: the injected latency was paid by each query.
    const queries = aws.calls.of('dynamodb', 'Query').length;
    if (queries !== shards * (WARMUP_REQUESTS + run.requests)) {
      throw new Error(`${shards} shards: expected ${shards} Query calls per request, got ${queries} in all`);
    }
    return { shards, p50Ms: round(p50), p99Ms: round(p99), samples: run.requests };
  } finally {
    await stack.close();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The shipments' state records, each in its shard as the consumer (lambda/projection.ts) writes it. */
async function seedStateRecords(aws: LocalAws, table: string, args: TapStackArgs): Promise<void> {
  const client = new DynamoDBClient({
    region: aws.region,
    endpoint: aws.endpoints.dynamodb,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const documents = DynamoDBDocumentClient.from(client);
  try {
    const records = Array.from({ length: LISTED_SHIPMENTS }, (_, i) =>
      stateRecord(`BENCH-SHARDS-${i}`, SEED_TIME + i * 1000, args),
    );
    for (let i = 0; i < records.length; i += SEED_CONCURRENCY) {
      await Promise.all(
        records
          .slice(i, i + SEED_CONCURRENCY)
          .map((record) => documents.send(new PutCommand({ TableName: table, Item: record }))),
      );
    }
  } finally {
    client.destroy();
  }
}

function stateRecord(trackingId: string, updatedAt: number, args: TapStackArgs): StateRecord {
  return {
    tracking_id: trackingId,
    timestamp: TRACKING_TABLE.stateTimestamp,
    status: SHIPMENTS_STATUS,
    previous_status: null,
    status_shard: statusShard(SHIPMENTS_STATUS, trackingId, args.statusShardCount),
    updated_key: updatedKey(updatedAt, trackingId),
    updated_at: updatedAt,
    event_time: new Date(updatedAt).toISOString(),
    location: { lat: 47.6, lng: -122.3 },
    update_id: `bench-shards-${trackingId}`,
    update_timestamp: updatedAt,
    first_seen: updatedAt,
    environment: args.environmentSuffix,
  };
}
