/**
 * Test harness for the Lambda handler, in process: the local AWS (local/aws: DynamoDB on the embedded
 * engine with the tracking table, SSM with the function's parameters, SQS with the parking queue,
 * EventBridge with the stack's bus, one fault injector and one call record), the function's
 * environment from its one description (lib/functions.ts), API Gateway events and Lambda contexts
 * from the local runtime's builders, and stdout capture. Nothing AWS is stubbed: faults go through
 * the local services.
 *
 * Every event put on the bus is checked at `reset()` against the contract's STATUS_EVENT_DETAIL_SCHEMA
 * (and STATUS_EVENT's source and detail type): a suite whose handler emits an invalid event fails.
 */
import Ajv from 'ajv-draft-04';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  DEFAULT_API_CONFIG,
  DEFAULT_FEATURE_FLAGS,
  ROUTES,
  STATUS_EVENT,
  STATUS_EVENT_DETAIL_SCHEMA,
  parameterNames,
  type ApiConfig,
  type FeatureFlags,
} from '../../lambda/contract';
import { createHandler } from '../../lambda/app';
import type { TrackingItem } from '../../lambda/store';
import { resolveStackArgs } from '../../lib/config';
import type { FunctionDefinition } from '../../lib/functions';
import { resourceNames } from '../../lib/names';
import type { LocalAws } from '../../local/aws';
import type { LocalEvent } from '../../local/aws/eventbridge';
import type { LocalQueue } from '../../local/aws/sqs';
import { contextFields, lambdaContext as runtimeContext } from '../../local/runtime/context';
import { proxyEvent } from '../../local/runtime/proxy-event';
import { startStackAws } from '../../local/stack-aws';

export const ENVIRONMENT = 'test';
export const CALLER_ARN = 'arn:aws:iam::123456789012:user/scanner-7';
export const PARAMETERS = parameterNames(ENVIRONMENT);
const REGION = 'us-east-1';

/** The stack settings of the test environment: every default, suffix `test`. */
const TEST_ARGS = resolveStackArgs(() => undefined, { ENVIRONMENT_SUFFIX: ENVIRONMENT });

const validStatusDetail = new Ajv({ allErrors: true, strict: false }).compile(STATUS_EVENT_DETAIL_SCHEMA);

/** What is wrong with each event that breaks the contract (STATUS_EVENT, STATUS_EVENT_DETAIL_SCHEMA); [] when none. */
export function invalidStatusEvents(events: LocalEvent[]): string[] {
  return events.flatMap((event, index) => {
    const problems: string[] = [];
    if (event.source !== STATUS_EVENT.source) problems.push(`source ${JSON.stringify(event.source)}`);
    if (event['detail-type'] !== STATUS_EVENT.detailType) {
      problems.push(`detail-type ${JSON.stringify(event['detail-type'])}`);
    }
    if (!validStatusDetail(event.detail)) {
      for (const error of validStatusDetail.errors ?? []) {
        problems.push(
          `detail${error.instancePath || ''} ${error.message ?? error.keyword} ${JSON.stringify(error.params)}`,
        );
      }
    }
    return problems.length === 0
      ? []
      : [`event #${index + 1} (${JSON.stringify(event.detail)}): ${problems.join('; ')}`];
  });
}

interface SsmControl {
  /** Replaces a parameter's raw value (what SSM stores). */
  set(name: string, value: string): void;
  setFlags(flags: Partial<FeatureFlags>): void;
  setConfig(config: Partial<ApiConfig>): void;
  /** While true, every GetParameter fails as a throttled SSM does (after the SDK's retries). */
  failing: boolean;
  /** The parameter names of every GetParameter call SSM received, in order. */
  readonly calls: string[];
}

export interface TestAws {
  local: LocalAws;
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  tableName: string;
  queue: LocalQueue;
  definition: FunctionDefinition<string>;
  /** The API function's environment (its description's variables and the SDK's endpoints). */
  env: NodeJS.ProcessEnv;
  /** The stream consumer's environment, likewise. */
  consumerEnv: NodeJS.ProcessEnv;
  /** Sets the flags and config for the next handler (documented defaults, overridden). */
  setParameters(flags?: Partial<FeatureFlags>, config?: Partial<ApiConfig>): SsmControl;
  /** Adds a fault (`dynamodb:PutItem=ProvisionedThroughputExceededException`, ...); removed after each test. */
  fault(spec: string): () => void;
  /** Every item of one shipment, oldest first. */
  itemsOf(trackingId: string): Promise<TrackingItem[]>;
  /** Every item in the table. */
  allItems(): Promise<TrackingItem[]>;
  /** The bodies of the messages on the parking queue. */
  parked(): string[];
  /** The stack's event bus (its name, as in the consumer's EVENT_BUS_NAME). */
  eventBusName: string;
  /** The events put on the bus since the last reset, oldest first. */
  events(): LocalEvent[];
  /**
   * Between tests: every event put since the last reset validated against the contract (throws,
   * listing the invalid ones), then faults cleared, call record, queue and events emptied,
   * parameters back to the defaults.
   */
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts the local AWS for one suite. The SDK environment goes into process.env too (the handler's
 * clients, created in this process, read their endpoints there). Suites call `reset()` after each test.
 */
export async function startTestAws(): Promise<TestAws> {
  const stack = await startStackAws(TEST_ARGS, { region: REGION });
  const { aws: local, tableName } = stack;
  Object.assign(process.env, local.env);
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const client = new DynamoDBClient({});
  const documents = DynamoDBDocumentClient.from(client);
  const queue = local.sqs.queue(resourceNames(ENVIRONMENT).queue);
  const definition = stack.definitions.api;

  let failingSsm: (() => void) | undefined;
  const control: SsmControl = {
    set: (name, value) => local.ssm.set(name, value),
    setFlags: (flags) => local.ssm.set(PARAMETERS.flags, JSON.stringify({ ...DEFAULT_FEATURE_FLAGS, ...flags })),
    setConfig: (config) => local.ssm.set(PARAMETERS.config, JSON.stringify({ ...DEFAULT_API_CONFIG, ...config })),
    get failing() {
      return failingSsm !== undefined;
    },
    set failing(on: boolean) {
      failingSsm?.();
      failingSsm = on ? local.faults.add('ssm:GetParameter=ThrottlingException') : undefined;
    },
    get calls() {
      return local.calls.of('ssm', 'GetParameter').map((call) => String(call.input.Name));
    },
  };
  const reset = () => {
    const events = local.eventbridge.events();
    local.eventbridge.clear();
    control.failing = false;
    local.faults.clear();
    local.calls.clear();
    queue.purge();
    control.setFlags({});
    control.setConfig({});
    const invalid = invalidStatusEvents(events);
    if (invalid.length > 0) {
      throw new Error(
        `${invalid.length} of the ${events.length} events put on ${stack.eventBusName} since the last reset break STATUS_EVENT_DETAIL_SCHEMA (lambda/contract.ts):\n  ${invalid.join('\n  ')}`,
      );
    }
  };
  reset();

  const collect = async (
    send: (
      start?: Record<string, unknown>,
    ) => Promise<{ Items?: unknown[]; LastEvaluatedKey?: Record<string, unknown> }>,
  ) => {
    const items: TrackingItem[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await send(start);
      items.push(...((page.Items ?? []) as TrackingItem[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  };

  return {
    local,
    client,
    documents,
    tableName,
    queue,
    definition,
    env: { ...process.env, ...definition.environment, ...local.env },
    consumerEnv: { ...process.env, ...stack.definitions.consumer.environment, ...local.env },
    setParameters(flags = {}, config = {}) {
      control.setFlags(flags);
      control.setConfig(config);
      return control;
    },
    fault: (spec) => local.faults.add(spec),
    itemsOf: (trackingId) =>
      collect((start) =>
        documents.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'tracking_id = :id',
            ExpressionAttributeValues: { ':id': trackingId },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      ),
    allItems: () =>
      collect((start) =>
        documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start })),
      ),
    parked: () => queue.messages().map((m) => m.body),
    eventBusName: stack.eventBusName,
    events: () => local.eventbridge.events(),
    reset,
    async close() {
      client.destroy();
      await local.close();
    },
  };
}

// --- Events and contexts (the local runtime's builders) ---------------------------------------------

export interface EventOptions {
  requestId?: string;
  headers?: Record<string, string>;
  /** The caller's IAM ARN; null = a request without an IAM identity. */
  userArn?: string | null;
  multiValueQuery?: Record<string, string[]>;
  isBase64Encoded?: boolean;
}

export function apiEvent(
  method: string,
  path: string,
  body: string | null,
  query: Record<string, string> | null,
  options: EventOptions = {},
): APIGatewayProxyEvent {
  const userArn = options.userArn === undefined ? CALLER_ARN : options.userArn;
  return proxyEvent({
    method,
    path,
    body,
    query: options.multiValueQuery ?? query ?? undefined,
    headers: options.headers,
    isBase64Encoded: options.isBase64Encoded,
    requestId: options.requestId,
    stage: ENVIRONMENT,
    identity:
      userArn === null
        ? null
        : { accountId: '123456789012', userId: 'AIDATESTSCANNER00007', userArn, accessKey: 'AKIATESTSCANNER00007' },
  });
}

export function postTrackEvent(body: unknown, options: EventOptions = {}): APIGatewayProxyEvent {
  return postEvent(ROUTES.track.path, body, options);
}

/** POST /track/batch with `{"updates": updates}` (or `body` as given when it is not an array). */
export function postBatchEvent(updates: unknown, options: EventOptions = {}): APIGatewayProxyEvent {
  return postEvent(ROUTES.trackBatch.path, Array.isArray(updates) ? { updates } : updates, options);
}

function postEvent(path: string, body: unknown, options: EventOptions): APIGatewayProxyEvent {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return apiEvent('POST', path, text, null, {
    ...options,
    headers: options.headers ?? { 'Content-Type': 'application/json' },
  });
}

export function getStatusEvent(query: Record<string, string> | null, options: EventOptions = {}): APIGatewayProxyEvent {
  return apiEvent('GET', '/status', null, query, options);
}

/** The test function's Lambda context, with `remainingMs` left. */
export function lambdaContext(remainingMs = 10_000): Context {
  const { name, logGroup } = resourceNames(ENVIRONMENT).function('api');
  return runtimeContext(
    contextFields({ name, logGroup, memoryMb: TEST_ARGS.lambdaMemory }, { region: REGION }),
    remainingMs,
  );
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export type TestHandler = ReturnType<typeof createHandler>;

export async function invoke(
  handler: TestHandler,
  event: APIGatewayProxyEvent,
  context: Context = lambdaContext(),
): Promise<Answer> {
  const result: APIGatewayProxyResult = await handler(event, context);
  return {
    statusCode: result.statusCode,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: JSON.parse(result.body),
  };
}

export function validUpdate(trackingId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { tracking_id: trackingId, status: 'in_transit', location: { lat: 52.52, lng: 13.405 }, ...overrides };
}

// --- stdout / stderr -------------------------------------------------------------------------------

type Stream = 'stdout' | 'stderr' | 'all';

export interface OutputCapture {
  lines(stream?: Stream): string[];
  /** Every line that is a JSON object. */
  json(stream?: Stream): Record<string, unknown>[];
  clear(): void;
}

/**
 * Captures (and silences) stdout and stderr, where Powertools writes: INFO logs and EMF metrics to
 * stdout, WARN and ERROR logs to stderr (both end up in the function's log group on Lambda).
 */
export function captureOutput(): OutputCapture {
  const buffers: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  for (const stream of ['stdout', 'stderr'] as const) {
    jest.spyOn(process[stream], 'write').mockImplementation(((chunk: string | Uint8Array) => {
      buffers[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof process.stdout.write);
  }
  const lines = (stream: Stream = 'all') =>
    (stream === 'all' ? buffers.stdout + buffers.stderr : buffers[stream])
      .split('\n')
      .filter((line) => line.trim() !== '');
  return {
    lines,
    json: (stream: Stream = 'all') =>
      lines(stream).flatMap((line) => {
        try {
          const parsed = JSON.parse(line);
          return parsed && typeof parsed === 'object' ? [parsed as Record<string, unknown>] : [];
        } catch {
          return [];
        }
      }),
    clear: () => {
      buffers.stdout = '';
      buffers.stderr = '';
    },
  };
}

export interface EmfBlob {
  _aws: {
    CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
  };
  [key: string]: unknown;
}

export function emfBlobs(capture: OutputCapture): EmfBlob[] {
  return capture.json('stdout').filter((line) => typeof line._aws === 'object') as unknown as EmfBlob[];
}

/** The metric names (and their summed values) in the captured EMF output. */
export function metricTotals(capture: OutputCapture): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const blob of emfBlobs(capture)) {
    for (const metric of blob._aws.CloudWatchMetrics.flatMap((d) => d.Metrics)) {
      const value = blob[metric.Name];
      const sum = Array.isArray(value) ? value.reduce((a: number, b: number) => a + b, 0) : Number(value);
      totals[metric.Name] = (totals[metric.Name] ?? 0) + sum;
    }
  }
  return totals;
}

/** Freezes Date.now() (what the handler stamps updates with) at `at` until restored. */
export function freezeClock(at: number): jest.SpyInstance {
  return jest.spyOn(Date, 'now').mockReturnValue(at);
}
