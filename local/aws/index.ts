/**
 * The local AWS: one fake per service the product calls (DynamoDB on the embedded engine, SQS, SSM,
 * EventBridge),
 * sharing one fault injector and one record of every call. `env` is what any AWS SDK client needs to
 * reach them (the standard endpoint variables, a region, throwaway credentials): the only thing that
 * differs for code running locally. Used by `npm start`, the tests and the benchmark.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureIdempotencyTable, ensureTrackingTable, startDynamoDb } from './dynamodb';
import { startEventBridge, type LocalEvent, type LocalEventBridge } from './eventbridge';
import { CallLog, FaultInjector, parseFault } from './faults';
import { startSqs, type LocalSqs } from './sqs';
import { startSsm, type LocalParameter, type LocalSsm } from './ssm';
import type { LocalStream } from './stream';

/** The account the local services (and the local API's caller) pretend to be in. */
export const LOCAL_ACCOUNT_ID = '123456789012';

export interface LocalAwsOptions {
  region: string;
  /** Tracking tables to create (unless they exist in dataDir). */
  tables: string[];
  /** `Idempotency-Key` records' tables to create. Default none. */
  idempotencyTables?: string[];
  queues: string[];
  parameters: Record<string, LocalParameter>;
  /** EventBridge buses that exist (names); PutEvents to another bus fails per entry. Default none. */
  buses?: string[];
  /** Called with every event EventBridge accepts, as it accepts it (the events file, the webhook). */
  onEvent?: (event: LocalEvent) => void;
  /** Keep the DynamoDB data here (default: in memory). */
  dataDir?: string;
  /** Fault specs to start with (see faults.ts). */
  faults?: string[];
}

export interface LocalAws {
  region: string;
  accountId: string;
  endpoints: { dynamodb: string; ssm: string; sqs: string; eventbridge: string };
  /** AWS SDK environment that reaches these services. */
  env: Record<string, string>;
  faults: FaultInjector;
  calls: CallLog;
  ssm: LocalSsm;
  sqs: LocalSqs;
  /** The buses' PutEvents; `events()` is every accepted event. */
  eventbridge: LocalEventBridge;
  /** A tracking table's stream (NEW_AND_OLD_IMAGES): a record for every change the local DynamoDB made to it. */
  streams(tableName: string): LocalStream;
  close(): Promise<void>;
}

/**
 * The standard SDK variables for a region and local endpoints (credentials the fakes ignore).
 * EventBridge's variable is set when its endpoint is given (startLocalAws always gives it).
 */
export function localSdkEnv(
  region: string,
  endpoints: Omit<LocalAws['endpoints'], 'eventbridge'> & { eventbridge?: string },
): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SSM: endpoints.ssm,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    ...(endpoints.eventbridge === undefined ? {} : { AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge }),
  };
}

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  // Parsed first (a bad spec fails before anything starts), added once the tables exist.
  const initialFaults = (options.faults ?? []).map(parseFault);
  const faults = new FaultInjector();
  const calls = new CallLog();
  const shared = { faults, calls, region: options.region, accountId: LOCAL_ACCOUNT_ID };
  const cleanup: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step();
    cleanup.length = 0;
  };
  try {
    const dynamodb = await startDynamoDb({ ...shared, dataDir: options.dataDir, streamTables: options.tables });
    cleanup.push(() => dynamodb.close());
    const ssm = await startSsm(options.parameters, shared);
    cleanup.push(() => ssm.close());
    const sqs = await startSqs(options.queues, shared);
    cleanup.push(() => sqs.close());
    const eventbridge = await startEventBridge({ ...shared, buses: options.buses ?? [], onEvent: options.onEvent });
    cleanup.push(() => eventbridge.close());
    const endpoints = {
      dynamodb: dynamodb.endpoint,
      ssm: ssm.endpoint,
      sqs: sqs.endpoint,
      eventbridge: eventbridge.endpoint,
    };

    const client = new DynamoDBClient({
      region: options.region,
      endpoint: endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      for (const table of options.tables) await ensureTrackingTable(client, table);
      for (const table of options.idempotencyTables ?? []) await ensureIdempotencyTable(client, table);
    } finally {
      client.destroy();
    }
    // Setting up is not what the product calls: the record starts empty, and the faults start now.
    calls.clear();
    for (const fault of initialFaults) faults.add(fault);
    return {
      region: options.region,
      accountId: LOCAL_ACCOUNT_ID,
      endpoints,
      env: localSdkEnv(options.region, endpoints),
      faults,
      calls,
      ssm,
      sqs,
      eventbridge,
      streams: (tableName) => {
        if (!options.tables.includes(tableName)) {
          throw new Error(`the local DynamoDB has no table ${tableName}; it has ${options.tables.join(', ')}`);
        }
        return dynamodb.streams(tableName);
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
