/**
 * The function for benchmark runs, in a `bench` environment on the project's one local AWS
 * (local/aws) with no latency or fault injected: its table (the embedded engine, so PutItem and
 * Query do real work), its queue and its three SSM parameters, and the one item GET /status reads.
 * The environment is the function's own description (lib/functions.ts) as the local runtime
 * builds it: the stack's variables, Lambda's, the standard SDK endpoint variables. The same for
 * ours and for the baselines.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TrackingStore } from '../lambda/store';
import { resolveStackArgs } from '../lib/config';
import { resourceNames } from '../lib/names';
import { readStackConfigFile } from '../lib/stack-config-file';
import type { LocalAws } from '../local/aws';
import { startStackAws } from '../local/stack-aws';
import { functionEnvironment } from '../local/runtime/function-env';
import { GET_TRACKING_ID, type InvokeSetup } from './requests';

const STACK = 'dev';
const SUFFIX = 'bench';

export interface BenchFunction {
  /** The local AWS the function and the baselines call. */
  aws: LocalAws;
  /** The child processes' whole environment. */
  env: Record<string, string>;
  /** What the child runner needs to build the events and contexts (see invoke.ts). */
  setup: InvokeSetup;
  close(): Promise<void>;
}

export async function startBenchFunction(taskRoot: string): Promise<BenchFunction> {
  const file = readStackConfigFile(STACK);
  const args = resolveStackArgs(file.read, { ENVIRONMENT_SUFFIX: SUFFIX });
  const region = String(file.values['aws:region'] ?? 'us-west-2');
  const names = resourceNames(SUFFIX);
  const { aws, definitions } = await startStackAws(args, { region });
  try {
    const definition = definitions.api;
    await seedStatusItem(aws, names.table, args.environmentSuffix);
    // Seeding is not what the function calls: the record starts empty.
    aws.calls.clear();
    return {
      aws,
      env: functionEnvironment(definition, aws.env, taskRoot),
      setup: {
        definition: {
          name: definition.name,
          memoryMb: definition.memoryMb,
          logGroup: definition.logGroup,
          timeoutSeconds: definition.timeoutSeconds,
        },
        region: aws.region,
        accountId: aws.accountId,
        stage: names.stage,
      },
      close: () => aws.close(),
    };
  } catch (error) {
    await aws.close();
    throw error;
  }
}

/** The one update GET /status reads, stored the way the function stores its updates. */
async function seedStatusItem(aws: LocalAws, table: string, environment: string): Promise<void> {
  const client = new DynamoDBClient({
    region: aws.region,
    endpoint: aws.endpoints.dynamodb,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await new TrackingStore(DynamoDBDocumentClient.from(client), table).put({
      tracking_id: GET_TRACKING_ID,
      timestamp: Date.parse('2025-11-24T16:00:00.000Z'),
      status: 'in_transit',
      location: { lat: 47.6, lng: -122.3 },
      environment,
      created_at: '2025-11-24T16:00:00.000Z',
      event_time: '2025-11-24T16:00:00.000Z',
      update_id: 'bench-seed-1',
    });
  } finally {
    client.destroy();
  }
}
