/**
 * Test harness for the Lambda handler: dynalite (in memory, random port) with the tracking table,
 * API Gateway REST (v1) events, a Lambda context, stdout capture, and stubs for SSM (the Powertools
 * provider's client) used for faults and flag values. DynamoDB is never stubbed here: behaviour that
 * lives in DynamoDB is exercised against dynalite.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { randomUUID } from 'crypto';
import { DEFAULT_API_CONFIG, DEFAULT_FEATURE_FLAGS, parameterNames, type ApiConfig, type FeatureFlags } from '../../lambda/contract';
import { createHandler } from '../../lambda/app';
import type { TrackingItem } from '../../lambda/store';
import { ensureTrackingTable, startDynamo, type LocalDynamo } from '../../local/aws/dynamo';

export const ENVIRONMENT = 'test';
export const QUEUE_URL = 'http://127.0.0.1:9/000000000000/tracking-parked-test';
export const CALLER_ARN = 'arn:aws:iam::123456789012:user/scanner-7';
export const PARAMETERS = parameterNames(ENVIRONMENT);

export interface TestDynamo {
  local: LocalDynamo;
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  tableName: string;
  /** The function's environment, pointing at this table. */
  env: NodeJS.ProcessEnv;
  /** Every item of one shipment, oldest first. */
  itemsOf(trackingId: string): Promise<TrackingItem[]>;
  /** Every item in the table. */
  allItems(): Promise<TrackingItem[]>;
  close(): Promise<void>;
}

/** SDK settings every client in a test process needs (no real AWS account, no credential lookups). */
export function setSdkEnvironment(dynamoEndpoint: string): void {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamoEndpoint;
}

export async function startTestDynamo(): Promise<TestDynamo> {
  const local = await startDynamo();
  setSdkEnvironment(local.endpoint);
  const client = new DynamoDBClient({});
  const documents = DynamoDBDocumentClient.from(client);
  const tableName = `tracking-${randomUUID().slice(0, 8)}`;
  await ensureTrackingTable(client, tableName);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TABLE_NAME: tableName,
    ENVIRONMENT,
    CONFIG_PARAMETER_NAME: PARAMETERS.config,
    FLAGS_PARAMETER_NAME: PARAMETERS.flags,
    ENDPOINT_PARAMETER_NAME: PARAMETERS.endpoint,
    QUEUE_URL,
    STATUS_SHARD_COUNT: '8',
    POWERTOOLS_SERVICE_NAME: 'tracking-api',
    POWERTOOLS_METRICS_NAMESPACE: 'LogisticsTracking',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  return {
    local,
    client,
    documents,
    tableName,
    env,
    async itemsOf(trackingId) {
      const items: TrackingItem[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'tracking_id = :id',
            ExpressionAttributeValues: { ':id': trackingId },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        );
        items.push(...((page.Items ?? []) as TrackingItem[]));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    async allItems() {
      const items: TrackingItem[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }));
        items.push(...((page.Items ?? []) as TrackingItem[]));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    async close() {
      client.destroy();
      await local.close();
    },
  };
}

// --- SSM ------------------------------------------------------------------------------------------

export interface SsmStub {
  /** Parameter values by name (strings, as SSM stores them); a missing name is ParameterNotFound. */
  values: Record<string, string>;
  /** While set, every call fails like an unreachable or throttled SSM. */
  failing: boolean;
  calls: string[];
  setFlags(flags: Partial<FeatureFlags>): void;
  setConfig(config: Partial<ApiConfig>): void;
}

/** Replaces SSM's answers (the Powertools provider's client) for the current test. */
export function stubSsm(flags: Partial<FeatureFlags> = {}, config: Partial<ApiConfig> = {}): SsmStub {
  const stub: SsmStub = {
    values: {},
    failing: false,
    calls: [],
    setFlags(f) {
      stub.values[PARAMETERS.flags] = JSON.stringify({ ...DEFAULT_FEATURE_FLAGS, ...f });
    },
    setConfig(c) {
      stub.values[PARAMETERS.config] = JSON.stringify({ ...DEFAULT_API_CONFIG, ...c });
    },
  };
  stub.setFlags(flags);
  stub.setConfig(config);
  jest.spyOn(SSMClient.prototype, 'send').mockImplementation(async (command: unknown) => {
    if (!(command instanceof GetParameterCommand)) throw new Error(`unexpected SSM call ${String(command)}`);
    const name = command.input.Name ?? '';
    stub.calls.push(name);
    if (stub.failing) {
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 3 } });
    }
    const value = stub.values[name];
    if (value === undefined) throw new ParameterNotFound({ message: `${name} not found`, $metadata: {} });
    return { Parameter: { Name: name, Type: 'String', Value: value } };
  });
  return stub;
}

// --- Events ---------------------------------------------------------------------------------------

export interface EventOptions {
  requestId?: string;
  headers?: Record<string, string>;
  userArn?: string | null;
  multiValueQuery?: Record<string, string[]>;
  isBase64Encoded?: boolean;
}

export function apiEvent(method: string, path: string, body: string | null, query: Record<string, string> | null, options: EventOptions = {}): APIGatewayProxyEvent {
  const requestId = options.requestId ?? randomUUID();
  const multi = options.multiValueQuery ?? (query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null);
  return {
    resource: path,
    path,
    httpMethod: method,
    headers: options.headers ?? {},
    multiValueHeaders: Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: multi,
    pathParameters: null,
    stageVariables: null,
    body,
    isBase64Encoded: options.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: method,
      path: `/test${path}`,
      stage: 'test',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'res1',
      resourcePath: path,
      identity: {
        accessKey: null,
        accountId: '123456789012',
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: '127.0.0.1',
        user: null,
        userAgent: 'jest',
        userArn: options.userArn === undefined ? CALLER_ARN : options.userArn,
      },
    },
  };
}

export function postTrackEvent(body: unknown, options: EventOptions = {}): APIGatewayProxyEvent {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return apiEvent('POST', '/track', text, null, { ...options, headers: options.headers ?? { 'Content-Type': 'application/json' } });
}

export function getStatusEvent(query: Record<string, string> | null, options: EventOptions = {}): APIGatewayProxyEvent {
  return apiEvent('GET', '/status', null, query, options);
}

export function lambdaContext(remainingMs = 10_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'tracking-api-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:tracking-api-test',
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/tracking-api-test',
    logStreamName: '2024/01/01/[$LATEST]abc',
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export type TestHandler = ReturnType<typeof createHandler>;

export async function invoke(handler: TestHandler, event: APIGatewayProxyEvent, context: Context = lambdaContext()): Promise<Answer> {
  const result: APIGatewayProxyResult = await handler(event, context);
  return { statusCode: result.statusCode, headers: (result.headers ?? {}) as Record<string, string>, body: JSON.parse(result.body) };
}

export function validUpdate(trackingId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { tracking_id: trackingId, status: 'in_transit', location: { lat: 52.52, lng: 13.405 }, ...overrides };
}

// --- stdout / stderr -------------------------------------------------------------------------------

export type Stream = 'stdout' | 'stderr' | 'all';

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
    (stream === 'all' ? buffers.stdout + buffers.stderr : buffers[stream]).split('\n').filter((line) => line.trim() !== '');
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
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
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
