/**
 * Least privilege, proven from behaviour: the whole local API (the shipped bundles on the local AWS
 * fakes, which record every call with the caller's access key id, one per function) is driven
 * through every path: POST /track (one update), POST /track/batch, GET /status, GET /shipments, a
 * write DynamoDB refuses (parked on the queue), `Idempotency-Key` (a first request, its replay, a
 * reuse with another body, a request whose write and parking both fail: its record deleted), the consumer projecting and putting status-change events,
 * and the consumer failing until its mapping gives up (a failure record on the failure queue). Each
 * recorded call is mapped to what IAM evaluates (iam-actions.ts). Then, per function, the set of
 * (action, resource) pairs it used must EQUAL the set its synthesized role grants, once the few
 * grants the platform uses on its behalf, which no local fake can record, are added (PLATFORM
 * below). A grant no code path uses fails here, as does a call no grant allows.
 */
import { IDEMPOTENCY, ROUTES } from '../../lambda/contract';
import { resourceNames } from '../../lib/names';
import { localAccessKeyId } from '../../local/runtime/function-env';
import { startLocalApi, type LocalApi } from '../../local/local-api';
import { T } from '../../policy/lib/types';
import { synthesize, type SynthResult } from '../../scripts/synth';
import { apiClient, type ApiClient } from '../e2e/client';
import { iamRequests } from './iam-actions';
import { evaluate, parsePolicy } from './iam-evaluator';

jest.setTimeout(120_000);

type FunctionKey = 'api' | 'consumer';
const STAGE = 'dev';

interface Role {
  documents: string[];
  /** Every Allow statement flattened: `action resource`. */
  grants: string[];
  account: string;
  logGroup: string;
}

const inputs = (result: SynthResult, type: string) =>
  result.resources.filter((r) => r.type === type).map((r) => r.inputs);

/** The synthesized role of the function named `name`: its inline documents and their Allow grants. */
function roleOf(result: SynthResult, name: string): Role {
  const fn = inputs(result, T.lambdaFunction).find((f) => f.name === name);
  expect(fn?.name).toBe(name);
  const roleArn = String(fn!.role);
  const [, account, roleName] = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
  const role = inputs(result, T.role).find((r) => r.name === roleName)!;
  expect(inputs(result, T.rolePolicyAttachment).filter((a) => [roleName, roleArn].includes(String(a.role)))).toEqual(
    [],
  );
  expect(role.managedPolicyArns ?? []).toEqual([]);
  const documents = [
    ...inputs(result, T.rolePolicy)
      .filter((p) => [roleName, roleArn].includes(String(p.role)))
      .map((p) => String(p.policy)),
    ...((role.inlinePolicies as { policy: string }[] | undefined) ?? []).map((p) => p.policy),
  ];
  const grants = documents
    .flatMap((d) => parsePolicy(d))
    .filter((s) => s.effect === 'Allow')
    .flatMap((s) => {
      // Only plain grants can be compared as sets.
      expect([s.notAction, s.notResource, s.conditional]).toEqual([undefined, undefined, false]);
      return (s.action ?? []).flatMap((a) => (s.resource ?? []).map((r) => `${a} ${r}`));
    });
  const region = String(result.outputs.region);
  const logGroupName = String((fn!.loggingConfig as { logGroup: string }).logGroup);
  return {
    documents,
    grants: [...new Set(grants)].sort(),
    account,
    logGroup: `arn:aws:logs:${region}:${account}:log-group:${logGroupName}`,
  };
}

/**
 * The grants the platform uses with a function's role, on its behalf, that no local fake can record
 * (each listed once, with why).
 */
function platform(key: FunctionKey, role: Role, synth: SynthResult, account: string, region: string): string[] {
  const always = [
    // Lambda's runtime ships the function's stdout to CloudWatch Logs with its role; locally the
    // output goes to a callback (functionLog), there is no CloudWatch fake to record it.
    `logs:CreateLogStream ${role.logGroup}:*`,
    `logs:PutLogEvents ${role.logGroup}:*`,
    // The X-Ray daemon in Lambda sends the traces with the function's role; locally no daemon runs
    // (AWS_XRAY_CONTEXT_MISSING=LOG_ERROR), nothing to record. X-Ray has no resource-level permissions.
    'xray:PutTraceSegments *',
    'xray:PutTelemetryRecords *',
  ];
  if (key === 'api') {
    const dlq = `arn:aws:sqs:${region}:${account}:${resourceNames(STAGE).functionDeadLetterQueue}`;
    const fn = inputs(synth, T.lambdaFunction).find((f) => String(f.role).endsWith(`/tracking-api-role-${STAGE}`))!;
    expect((fn.deadLetterConfig as { targetArn: string }).targetArn).toBe(dlq);
    // Lambda sends failed ASYNCHRONOUS invocations to the function's DLQ with its role; API Gateway
    // invokes synchronously and the local runtime has no asynchronous invocation, so no local call.
    return [...always, `sqs:SendMessage ${dlq}`];
  }
  const [mapping] = inputs(synth, T.eventSourceMapping);
  const stream = String(mapping.eventSourceArn);
  // Lambda's event source mapping polls the table's stream with the consumer's role; the local
  // mapping reads the local stream in process (local/runtime/event-source-mapping.ts), not through
  // the DynamoDB Streams API, so nothing is recorded.
  const streamReads = ['DescribeStream', 'GetRecords', 'GetShardIterator', 'ListStreams'].map(
    (op) => `dynamodb:${op} ${stream}`,
  );
  return [...always, ...streamReads];
}

let synth: SynthResult;
let api: LocalApi;
let client: ApiClient;
let scenarioMs: number;

const LOCATION = { lat: 47.61, lng: -122.33 };
const update = (trackingId: string, status: string, offsetMs = 0) => ({
  tracking_id: trackingId,
  status,
  location: LOCATION,
  event_time: new Date(Date.now() - 60_000 + offsetMs).toISOString(),
});

async function post(body: unknown, expected: number, options: { path?: string; key?: string } = {}) {
  const response = await client.request({
    method: 'POST',
    path: options.path ?? ROUTES.track.path,
    headers: {
      'Content-Type': 'application/json',
      ...(options.key === undefined ? {} : { [IDEMPOTENCY.header]: options.key }),
    },
    body: JSON.stringify(body),
  });
  expect([response.status, response.text]).toEqual([expected, expect.any(String)]);
  return response;
}

beforeAll(async () => {
  const started = Date.now();
  [synth, api] = await Promise.all([
    synthesize({ stack: STAGE, env: {} }),
    startLocalApi({
      port: 0,
      stack: STAGE,
      stage: STAGE,
      config: { realTimeNotifications: true, streamMaxRetries: 0 },
      log: () => {},
      functionLog: () => {},
    }),
  ]);
  client = apiClient(api.url, api.region, async () => api.credentials);
  const id = `LP-${Date.now()}`;

  // POST /track, one update and a batch; the consumer projects them and puts status-change events.
  await post(update(`${id}-1`, 'pending'), 200);
  await post({ updates: [update(`${id}-2`, 'pending'), update(`${id}-2`, 'in_transit', 1000)] }, 200, {
    path: ROUTES.trackBatch.path,
  });
  await api.mapping.idle();
  // GET /status (the history and the state record), GET /shipments (StatusIndex).
  const status = await client.request({ method: 'GET', path: '/status', query: { tracking_id: `${id}-2` } });
  expect(status.status).toBe(200);
  const shipments = await client.request({ method: 'GET', path: '/shipments', query: { status: 'in_transit' } });
  expect(shipments.status).toBe(200);

  // A write DynamoDB refuses: parked on the queue (SQS SendMessage).
  const removeThrottle = api.aws.faults.add('dynamodb:PutItem=ProvisionedThroughputExceededException');
  const parked = await post(update(`${id}-3`, 'pending'), 202);
  expect(parked.json).toMatchObject({ queued: true });
  removeThrottle();

  // Idempotency-Key: the record put and completed, a replay (the conditional put finds the record and
  // reads it), the key reused with another body (422), and a request whose write and parking both
  // fail (503): its record is deleted so the retry runs again.
  const first = update(`${id}-5`, 'pending');
  await post(first, 200, { key: `${id}-key` });
  await post(first, 200, { key: `${id}-key` });
  await post(update(`${id}-5`, 'delivered'), 422, { key: `${id}-key` });
  const removeTableFault = api.aws.faults.add({
    service: 'dynamodb',
    operation: 'PutItem',
    error: 'ProvisionedThroughputExceededException',
    match: (input: Record<string, unknown>) => input.TableName === api.tableName,
  });
  const removeQueueFault = api.aws.faults.add('sqs:SendMessage=ServiceUnavailable');
  await post(update(`${id}-6`, 'pending'), 503, { key: `${id}-lost` });
  removeTableFault();
  removeQueueFault();

  // The consumer failing on every UpdateItem until its mapping gives up: a failure record.
  const removeRefusal = api.aws.faults.add('dynamodb:UpdateItem=InternalServerError');
  await post(update(`${id}-4`, 'delivered'), 200);
  await api.mapping.idle();
  removeRefusal();
  expect(api.aws.sqs.queue(resourceNames(STAGE).streamFailureQueue).messages().length).toBeGreaterThan(0);
  scenarioMs = Date.now() - started;
});

afterAll(async () => {
  await api?.close();
  if (scenarioMs) console.log(`least-privilege scenario (synth + local API + requests): ${scenarioMs} ms`);
});

describe('least privilege, from the calls the code makes', () => {
  const principals = (): Record<FunctionKey, string> => ({
    api: localAccessKeyId(api.definitions.api),
    consumer: localAccessKeyId(api.definitions.consumer),
  });

  test('the local stack is the synthesized one: same region, account and names', () => {
    const { account } = roleOf(synth, api.definitions.api.name);
    expect([api.region, api.aws.accountId]).toEqual([String(synth.outputs.region), account]);
    expect(inputs(synth, T.table).map((t) => t.name)).toEqual([api.idempotencyTableName, api.tableName]);
    for (const key of ['api', 'consumer'] as const) {
      expect(roleOf(synth, api.definitions[key].name).logGroup).toMatch(
        new RegExp(`:log-group:${api.definitions[key].logGroup.replace(/[/$]/g, '\\$&')}$`),
      );
    }
  });

  test('every call the functions made is attributed to one of them', () => {
    const known = new Set([...Object.values(principals()), api.credentials.accessKeyId, 'local']);
    const unknown = api.aws.calls.calls.filter((c) => c.principal === undefined || !known.has(c.principal));
    expect(unknown.map((c) => `${c.principal} ${c.service}:${c.operation}`)).toEqual([]);
    for (const principal of Object.values(principals())) {
      expect(api.aws.calls.calls.filter((c) => c.principal === principal).length).toBeGreaterThan(0);
    }
  });

  test.each(['api', 'consumer'] as const)(
    "the %s function's role grants exactly what it calls, plus the platform's grants",
    (key) => {
      const definition = api.definitions[key];
      const role = roleOf(synth, definition.name);
      const where = { region: api.region, account: api.aws.accountId };
      const requests = api.aws.calls.calls
        .filter((c) => c.principal === principals()[key])
        .flatMap((c) => iamRequests(c, where));
      // Every recorded call is allowed by the synthesized policy.
      const denied = requests.filter((r) => evaluate(role.documents, r.action, r.resource).decision !== 'allow');
      expect(denied).toEqual([]);
      const used = [
        ...new Set([
          ...requests.map((r) => `${r.action} ${r.resource}`),
          ...platform(key, role, synth, role.account, String(synth.outputs.region)),
        ]),
      ].sort();
      const report = {
        function: definition.name,
        grantedButUnused: role.grants.filter((g) => !used.includes(g)),
        usedButNotGranted: used.filter((u) => !role.grants.includes(u)),
      };
      expect(report).toEqual({ function: definition.name, grantedButUnused: [], usedButNotGranted: [] });
      expect(role.grants).toEqual(used);
    },
  );
});
