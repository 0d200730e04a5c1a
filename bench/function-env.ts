/**
 * The functions for benchmark runs, in a `bench` environment on the project's one local AWS
 * (local/aws) with no latency or fault injected: the stack's tables (the embedded engine, so every
 * call does real work), its queues, its SSM parameters (real_time_notifications on, so the consumer
 * puts its events) and its bus; the one item GET /status reads and the state records GET /shipments
 * lists. Each function's environment is its own description (lib/functions.ts) as the local runtime
 * builds it: the stack's variables, Lambda's, the standard SDK endpoint variables. The same for ours
 * and for the baselines of that function.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TRACKING_TABLE } from '../lambda/contract';
import { statusShard } from '../lambda/shard';
import { updatedKey, type StateRecord } from '../lambda/state';
import { TrackingStore } from '../lambda/store';
import { resolveStackArgs, type TapStackArgs } from '../lib/config';
import type { FunctionDefinition } from '../lib/functions';
import { resourceNames, type FunctionKey } from '../lib/names';
import { readStackConfigFile } from '../lib/stack-config-file';
import type { LocalAws } from '../local/aws';
import { startStackAws } from '../local/stack-aws';
import { functionEnvironment } from '../local/runtime/function-env';
import { GET_TRACKING_ID, LISTED_SHIPMENTS, SHIPMENTS_STATUS, type InvokeSetup } from './requests';

const STACK = 'dev';
const SUFFIX = 'bench';
const SEED_TIME = Date.parse('2025-11-24T16:00:00.000Z');

/** What a child process needs to run one function's bundles: its whole environment and the invocation setup. */
export interface ChildSetup {
  env: Record<string, string>;
  setup: InvokeSetup;
}

export interface BenchFunctions {
  /** The local AWS the functions and the baselines call. */
  aws: LocalAws;
  api: ChildSetup;
  consumer: ChildSetup;
  close(): Promise<void>;
}

/** The bench stack's settings: dev's, suffix `bench`, status-change events on; `overrides` by config key. */
export function benchStackArgs(overrides: Record<string, unknown> = {}, suffix = SUFFIX): TapStackArgs {
  const file = readStackConfigFile(STACK);
  const values: Record<string, unknown> = { realTimeNotifications: true, ...overrides };
  return resolveStackArgs((key) => (key in values ? values[key] : file.read(key)), { ENVIRONMENT_SUFFIX: suffix });
}

export const BENCH_REGION = String(readStackConfigFile(STACK).values['aws:region'] ?? 'us-west-2');

function childSetup(
  kind: FunctionKey,
  definition: FunctionDefinition<string>,
  aws: LocalAws,
  taskRoot: string,
  stage: string,
): ChildSetup {
  return {
    env: functionEnvironment(definition, aws.env, taskRoot),
    setup: {
      kind,
      definition: {
        name: definition.name,
        memoryMb: definition.memoryMb,
        logGroup: definition.logGroup,
        timeoutSeconds: definition.timeoutSeconds,
      },
      region: aws.region,
      accountId: aws.accountId,
      stage,
    },
  };
}

export async function startBenchFunctions(taskRoot: string): Promise<BenchFunctions> {
  const args = benchStackArgs();
  const names = resourceNames(args.environmentSuffix);
  const { aws, definitions } = await startStackAws(args, { region: BENCH_REGION });
  try {
    await seed(aws, names.table, args);
    // Seeding is not what the functions call: the record starts empty.
    aws.calls.clear();
    return {
      aws,
      api: childSetup('api', definitions.api, aws, taskRoot, names.stage),
      consumer: childSetup('consumer', definitions.consumer, aws, taskRoot, names.stage),
      close: () => aws.close(),
    };
  } catch (error) {
    await aws.close();
    throw error;
  }
}

/** The state records GET /shipments lists, shaped as the consumer writes them (its StatusIndex keys). */
export function listedStateRecords(args: TapStackArgs): StateRecord[] {
  return Array.from({ length: LISTED_SHIPMENTS }, (_, i) => {
    const trackingId = `BENCH-LIST-${i}`;
    const updatedAt = SEED_TIME + i * 1000;
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
      update_id: `bench-list-${i}`,
      update_timestamp: updatedAt,
      first_seen: updatedAt,
      environment: args.environmentSuffix,
    };
  });
}

/** A document client on the local DynamoDB, for seeding (not what the functions call). */
export function seedingClient(aws: LocalAws): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: aws.region,
      endpoint: aws.endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}

/** The one update GET /status reads, stored the way the function stores its updates, and the listed state records. */
async function seed(aws: LocalAws, table: string, args: TapStackArgs): Promise<void> {
  const documents = seedingClient(aws);
  try {
    await new TrackingStore(documents, table).put({
      tracking_id: GET_TRACKING_ID,
      timestamp: SEED_TIME,
      status: 'in_transit',
      location: { lat: 47.6, lng: -122.3 },
      environment: args.environmentSuffix,
      created_at: new Date(SEED_TIME).toISOString(),
      event_time: new Date(SEED_TIME).toISOString(),
      update_id: 'bench-seed-1',
    });
    for (const Item of listedStateRecords(args)) await documents.send(new PutCommand({ TableName: table, Item }));
  } finally {
    documents.destroy();
  }
}
