/**
 * Least privilege, proven on the synth output: each function role's policy documents, evaluated as
 * AWS would (iam-evaluator.ts), grant exactly its function's calls on its own resources, and
 * nothing that any statement could stretch to.
 * - The API function: its actions on its own table, index, idempotency records' table, parameters,
 *   queue, dead-letter queue (Lambda delivers failed async events with its role) and log group; no
 *   DeleteItem, Scan, UpdateTable, UpdateItem, stream read on the tracking table, other table, other
 *   environment's parameters, other queue, PutParameter, DeleteQueue; no Query or Scan of the records.
 * - The stream consumer: UpdateItem on the table, reading THIS table's stream (for its event source
 *   mapping), sending to its failure queue, reading the flags parameter (GetParameter), putting
 *   events on THIS bus, its logs; no PutItem, Query, GetItem, DeleteItem, index, another table's
 *   stream, the parked-updates queue, the config or endpoint parameter, another bus.
 * - The webhook target's role (with a webhook): invoking its one API destination, nothing else.
 */
import { synthesize, type SynthResult } from '../../scripts/synth';
import { T } from '../../policy/lib/types';
import { evaluate, parsePolicy } from './iam-evaluator';

interface Grants {
  env: string;
  account: string;
  region: string;
  documents: string[];
  table: string;
  /** The `Idempotency-Key` records' table. */
  idempotencyTable: string;
  /** The table's stream, as the consumer's mapping names it. */
  stream: string;
  /** The parked-updates queue. */
  queue: string;
  /** The API function's own dead-letter queue (its deadLetterConfig target). */
  deadLetterQueue: string;
  /** The consumer mapping's on-failure destination. */
  failureQueue: string;
  logGroup: string;
  parameters: string[];
  /** The endpoint parameter: published for other consumers, read by no function. */
  endpoint: string;
  /** The feature flags parameter (the one parameter the consumer reads). */
  flags: string;
  /** The stack's bus. */
  bus: string;
}

function inputs(result: SynthResult, type: string): Record<string, unknown>[] {
  return result.resources.filter((r) => r.type === type).map((r) => r.inputs);
}

/** A function (by physical name prefix), its role, and every identity policy document attached to that role. */
/** Every identity policy document attached to a role (inline RolePolicies, inlinePolicies); none managed. */
function roleDocuments(result: SynthResult, roleArn: string): { account: string; documents: string[] } {
  const [, account, roleName] = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
  const role = inputs(result, T.role).find((r) => r.name === roleName);
  expect(role?.name).toBe(roleName);
  const attached = (type: string) => inputs(result, type).filter((p) => [roleName, roleArn].includes(String(p.role)));
  // Managed policies cannot be evaluated offline; the design gives its roles inline policies only.
  expect(attached(T.rolePolicyAttachment)).toEqual([]);
  expect(role!.managedPolicyArns ?? []).toEqual([]);
  const documents = [
    ...attached(T.rolePolicy).map((p) => String(p.policy)),
    ...((role!.inlinePolicies as { policy: string }[] | undefined) ?? []).map((p) => p.policy),
  ];
  expect(documents.length).toBeGreaterThan(0);
  return { account, documents };
}

function functionGrants(result: SynthResult, base: 'tracking-api' | 'tracking-projection'): Grants {
  const functions = inputs(result, T.lambdaFunction);
  expect(functions).toHaveLength(2);
  const [fn, ...others] = functions.filter((f) => String(f.name).startsWith(`${base}-`));
  expect(others).toEqual([]);
  const { account, documents } = roleDocuments(result, String(fn.role));

  const env = String((fn.environment as { variables: Record<string, string> }).variables.ENVIRONMENT);
  const region = String(result.outputs.region);
  const tableArn = (name: string) => `arn:aws:dynamodb:${region}:${account}:table/${name}`;
  const tableNames = inputs(result, T.table).map((t) => String(t.name));
  expect(tableNames.sort()).toEqual([`tracking-idempotency-${env}`, `tracking-updates-${env}`]);
  const table = tableArn(`tracking-updates-${env}`);
  const queueArn = (name: string) => `arn:aws:sqs:${region}:${account}:${name}`;
  const webhook = inputs(result, T.eventTarget).length > 0;
  expect(inputs(result, T.queue).map((q) => String(q.name))).toEqual([
    `tracking-api-dlq-${env}`,
    `tracking-parked-updates-${env}`,
    `tracking-projection-failures-${env}`,
    ...(webhook ? [`tracking-webhook-failures-${env}`] : []),
  ]);
  const [bus, ...otherBuses] = inputs(result, T.eventBus).map(
    (b) => `arn:aws:events:${region}:${account}:event-bus/${b.name}`,
  );
  expect([bus, otherBuses]).toEqual([result.outputs.event_bus_arn, []]);
  const [mapping, ...otherMappings] = inputs(result, T.eventSourceMapping);
  expect(otherMappings).toEqual([]);
  const stream = String(mapping.eventSourceArn);
  expect(stream.startsWith(`${table}/stream/`)).toBe(true);
  const failureQueue = String(
    (mapping.destinationConfig as { onFailure: { destinationArn: string } }).onFailure.destinationArn,
  );
  expect(failureQueue).toBe(queueArn(`tracking-projection-failures-${env}`));
  const logGroupName = String((fn.loggingConfig as { logGroup: string }).logGroup);
  const names = inputs(result, T.parameter)
    .map((p) => String(p.name))
    .sort();
  expect(names).toEqual([
    `/logistics/api/${env}/config`,
    `/logistics/db/${env}/endpoint`,
    `/logistics/features/${env}/flags`,
  ]);
  return {
    env,
    account,
    region,
    documents,
    table,
    idempotencyTable: tableArn(`tracking-idempotency-${env}`),
    stream,
    queue: queueArn(`tracking-parked-updates-${env}`),
    deadLetterQueue: queueArn(`tracking-api-dlq-${env}`),
    failureQueue,
    logGroup: `arn:aws:logs:${region}:${account}:log-group:${logGroupName}`,
    parameters: names.map((n) => `arn:aws:ssm:${region}:${account}:parameter${n}`),
    flags: `arn:aws:ssm:${region}:${account}:parameter/logistics/features/${env}/flags`,
    endpoint: `arn:aws:ssm:${region}:${account}:parameter/logistics/db/${env}/endpoint`,
    bus,
  };
}

let dev: Grants;
let pr7: Grants;
let consumerDev: Grants;
let consumerPr7: Grants;
let webhookSynth: SynthResult;

beforeAll(async () => {
  const [devSynth, pr7Synth, withWebhook] = await Promise.all([
    synthesize({ stack: 'dev', env: {} }),
    synthesize({ stack: 'dev', env: { ENVIRONMENT_SUFFIX: 'pr7' } }),
    synthesize({
      stack: 'dev',
      env: {},
      config: { 'tap:webhookUrl': 'https://hooks.example.com/status', 'tap:webhookSecret': 'not-a-secret' },
    }),
  ]);
  dev = functionGrants(devSynth, 'tracking-api');
  pr7 = functionGrants(pr7Synth, 'tracking-api');
  consumerDev = functionGrants(devSynth, 'tracking-projection');
  consumerPr7 = functionGrants(pr7Synth, 'tracking-projection');
  webhookSynth = withWebhook;
});

const granted = (g: Grants, action: string, resource: string) => evaluate(g.documents, action, resource).allowedBy;

/** The handler's needs: what the code calls, on what. */
function needs(g: Grants): [string, string][] {
  const stream = `${g.logGroup}:log-stream:2026/11/27/[$LATEST]0123456789abcdef`;
  return [
    ['dynamodb:PutItem', g.table],
    ['dynamodb:Query', g.table],
    ['dynamodb:Query', `${g.table}/index/StatusIndex`],
    // lambda/idempotency.ts (Powertools Idempotency): the record's put, read, completion and delete.
    ...['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].map(
      (a): [string, string] => [a, g.idempotencyTable],
    ),
    // settings.ts: the config and the flags, one GetParameter each (not the endpoint).
    ...g.parameters.filter((p) => p !== g.endpoint).map((p): [string, string] => ['ssm:GetParameter', p]),
    ['sqs:SendMessage', g.queue],
    // Lambda sends the failed asynchronous events to the function's DLQ with the function's role.
    ['sqs:SendMessage', g.deadLetterQueue],
    ['logs:CreateLogStream', stream],
    ['logs:PutLogEvents', stream],
    ['xray:PutTraceSegments', '*'],
    ['xray:PutTelemetryRecords', '*'],
  ];
}

/** What must not be granted by any statement. */
function forbidden(g: Grants): [string, string][] {
  const other = (arn: string) => arn.replace(`-${g.env}`, '-prod');
  const tables = [g.table, `${g.table}/index/StatusIndex`];
  const otherTables = [
    other(g.table),
    `arn:aws:dynamodb:${g.region}:${g.account}:table/other-table`,
    `${g.table}-copy`,
  ];
  const otherParameters = g.parameters.flatMap((p) => [
    p.replace(`/${g.env}/`, '/prod/'),
    p.replace(`/${g.env}/`, '/staging/'),
    `${p}-old`,
  ]);
  const otherQueues = [other(g.queue), other(g.deadLetterQueue), `arn:aws:sqs:${g.region}:${g.account}:other-queue`];
  const otherGroup = `arn:aws:logs:${g.region}:${g.account}:log-group:/aws/lambda/other-function`;
  return [
    ...[
      'dynamodb:DeleteItem',
      'dynamodb:Scan',
      'dynamodb:UpdateTable',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteTable',
      'dynamodb:BatchWriteItem',
    ].flatMap((a) => tables.map((t): [string, string] => [a, t])),
    ...otherTables.flatMap((t): [string, string][] => [
      ['dynamodb:PutItem', t],
      ['dynamodb:Query', t],
      ['dynamodb:Query', `${t}/index/StatusIndex`],
    ]),
    ...otherParameters.flatMap((p): [string, string][] => [
      ['ssm:GetParameter', p],
      ['ssm:GetParameters', p],
    ]),
    // No batch reads, and not the endpoint parameter (published for other consumers); no put on an index.
    ...g.parameters.map((p): [string, string] => ['ssm:GetParameters', p]),
    ['ssm:GetParameter', g.endpoint],
    ['dynamodb:PutItem', `${g.table}/index/StatusIndex`],
    ...g.parameters.flatMap((p): [string, string][] => [
      ['ssm:PutParameter', p],
      ['ssm:DeleteParameter', p],
      ['ssm:GetParametersByPath', p],
    ]),
    ['ssm:GetParametersByPath', `arn:aws:ssm:${g.region}:${g.account}:parameter/logistics/api/${g.env}`],
    ...otherQueues.map((q): [string, string] => ['sqs:SendMessage', q]),
    // The records are read by key only, never listed, and the table itself is the stack's.
    ...[
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:DeleteTable',
      'dynamodb:UpdateTable',
      'dynamodb:BatchWriteItem',
    ].map((a): [string, string] => [a, g.idempotencyTable]),
    ...['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'].map((a): [string, string] => [
      a,
      other(g.idempotencyTable),
    ]),
    ['sqs:DeleteQueue', g.queue],
    ['sqs:PurgeQueue', g.queue],
    ['sqs:ReceiveMessage', g.queue],
    ['sqs:SetQueueAttributes', g.queue],
    ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue', 'sqs:DeleteQueue'].map((a): [string, string] => [
      a,
      g.deadLetterQueue,
    ]),
    // The consumer's grants are not the API's.
    ['sqs:SendMessage', g.failureQueue],
    ...STREAM_ACTIONS.map((a): [string, string] => [a, g.stream]),
    ['dynamodb:UpdateItem', g.table],
    // Only the consumer puts status-change events.
    ['events:PutEvents', g.bus],
    ['logs:PutLogEvents', `${otherGroup}:log-stream:x`],
    ['logs:DeleteLogGroup', g.logGroup],
    ['logs:CreateLogGroup', otherGroup],
    ['iam:PassRole', `arn:aws:iam::${g.account}:role/any`],
  ];
}

/** What Lambda calls with the consumer's role to poll the table's stream for its mapping. */
const STREAM_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];

/** The consumer's needs: its code's one call, its mapping's stream reads and failure deliveries, logs, traces. */
function consumerNeeds(g: Grants): [string, string][] {
  const logStream = `${g.logGroup}:log-stream:2026/11/27/[$LATEST]0123456789abcdef`;
  return [
    ['dynamodb:UpdateItem', g.table],
    ...STREAM_ACTIONS.map((a): [string, string] => [a, g.stream]),
    ['sqs:SendMessage', g.failureQueue],
    // real_time_notifications, then the status-change events on the stack's bus.
    ['ssm:GetParameter', g.flags],
    ['events:PutEvents', g.bus],
    ['logs:CreateLogStream', logStream],
    ['logs:PutLogEvents', logStream],
    ['xray:PutTraceSegments', '*'],
    ['xray:PutTelemetryRecords', '*'],
  ];
}

/** What the consumer's role must not be granted by any statement. */
function consumerForbidden(g: Grants, api: Grants): [string, string][] {
  const other = (arn: string) => arn.replace(`-${g.env}`, '-prod');
  const index = `${g.table}/index/StatusIndex`;
  const otherTable = `arn:aws:dynamodb:${g.region}:${g.account}:table/other-table`;
  const otherGroup = `arn:aws:logs:${g.region}:${g.account}:log-group:/aws/lambda/other-function`;
  return [
    // It reads nothing and writes only through conditional updates.
    ...[
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Scan',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:UpdateTable',
      'dynamodb:DeleteTable',
      'dynamodb:DescribeTable',
    ].map((a): [string, string] => [a, g.table]),
    ...['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:Scan'].map((a): [string, string] => [a, index]),
    // The idempotency records are the API function's.
    ...['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'].map(
      (a): [string, string] => [a, api.idempotencyTable],
    ),
    // No other table, nor its stream, nor another stream of this table.
    ...[other(g.table), otherTable, `${g.table}-copy`].map((t): [string, string] => ['dynamodb:UpdateItem', t]),
    ...[
      other(g.stream),
      `${otherTable}/stream/2024-01-01T00:00:00.000`,
      `${g.table}-copy/stream/x`,
      `${g.table}/stream/2099-01-01T00:00:00.000`,
    ].flatMap((stream) => STREAM_ACTIONS.map((a): [string, string] => [a, stream])),
    // Only its own failure queue, and only to send.
    ...[api.queue, api.deadLetterQueue, other(g.failureQueue), `arn:aws:sqs:${g.region}:${g.account}:other-queue`].map(
      (q): [string, string] => ['sqs:SendMessage', q],
    ),
    ...['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue', 'sqs:DeleteQueue', 'sqs:SetQueueAttributes'].map(
      (a): [string, string] => [a, g.failureQueue],
    ),
    // Of the parameters, only the flags, and only with GetParameter: not the config or the endpoint
    // (the API function's), nor another environment's flags, nor writes or path reads.
    ...api.parameters
      .filter((p) => p !== g.flags)
      .flatMap((p): [string, string][] => [
        ['ssm:GetParameter', p],
        ['ssm:GetParameters', p],
      ]),
    ['ssm:GetParameters', g.flags],
    ['ssm:GetParameter', g.flags.replace(`/${g.env}/`, '/prod/')],
    ['ssm:GetParameter', `${g.flags}-old`],
    ['ssm:PutParameter', g.flags],
    ['ssm:GetParametersByPath', `arn:aws:ssm:${g.region}:${g.account}:parameter/logistics/features/${g.env}`],
    // Events on this bus only: not the default bus, another bus, another environment's.
    ...[
      `arn:aws:events:${g.region}:${g.account}:event-bus/default`,
      `arn:aws:events:${g.region}:${g.account}:event-bus/other-bus`,
      other(g.bus),
      `${g.bus}-copy`,
    ].map((bus): [string, string] => ['events:PutEvents', bus]),
    // Nor managing the bus, its rules, or invoking API destinations.
    ['events:PutRule', `arn:aws:events:${g.region}:${g.account}:rule/tracking-events-${g.env}/any-rule`],
    ['events:PutTargets', `arn:aws:events:${g.region}:${g.account}:rule/tracking-events-${g.env}/any-rule`],
    ['events:DeleteEventBus', g.bus],
    ['events:InvokeApiDestination', `arn:aws:events:${g.region}:${g.account}:api-destination/any/x`],
    ['logs:PutLogEvents', `${api.logGroup}:log-stream:x`],
    ['logs:PutLogEvents', `${otherGroup}:log-stream:x`],
    ['logs:CreateLogGroup', otherGroup],
    ['lambda:InvokeFunction', `arn:aws:lambda:${g.region}:${g.account}:function:tracking-projection-${g.env}`],
    ['iam:PassRole', `arn:aws:iam::${g.account}:role/any`],
  ];
}

describe('least privilege of the function role', () => {
  test("the handler's actions on its own resources are granted", () => {
    for (const [action, resource] of needs(dev)) {
      expect([action, resource, evaluate(dev.documents, action, resource).decision]).toEqual([
        action,
        resource,
        'allow',
      ]);
    }
  });

  test('nothing beyond them is granted by any statement', () => {
    const leaks = forbidden(dev).filter(([action, resource]) => granted(dev, action, resource).length > 0);
    expect(leaks).toEqual([]);
  });

  test('the role names exactly the actions the handler uses', () => {
    const actions = dev.documents
      .flatMap((d) => parsePolicy(d))
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => {
        expect(s.notAction).toBeUndefined();
        return s.action ?? [];
      });
    expect([...new Set(actions)].sort()).toEqual([...new Set(needs(dev).map(([a]) => a))].sort());
  });

  test("each environment's role reaches only its own environment", () => {
    expect(pr7.env).toBe('pr7');
    for (const [mine, theirs] of [
      [dev, pr7],
      [pr7, dev],
    ]) {
      const crossings = needs(theirs)
        .filter(([action, resource]) => resource !== '*' && !action.startsWith('xray:'))
        .filter(([action, resource]) => granted(mine, action, resource).length > 0);
      expect([mine.env, crossings]).toEqual([mine.env, []]);
    }
  });
});

describe('least privilege of the stream consumer role', () => {
  test("its calls, and its mapping's, on its own resources are granted", () => {
    for (const [action, resource] of consumerNeeds(consumerDev)) {
      expect([action, resource, evaluate(consumerDev.documents, action, resource).decision]).toEqual([
        action,
        resource,
        'allow',
      ]);
    }
  });

  test('nothing beyond them is granted by any statement', () => {
    const leaks = consumerForbidden(consumerDev, dev).filter(
      ([action, resource]) => granted(consumerDev, action, resource).length > 0,
    );
    expect(leaks).toEqual([]);
  });

  test('the role names exactly those actions', () => {
    const actions = consumerDev.documents
      .flatMap((d) => parsePolicy(d))
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => {
        expect(s.notAction).toBeUndefined();
        return s.action ?? [];
      });
    expect([...new Set(actions)].sort()).toEqual([...new Set(consumerNeeds(consumerDev).map(([a]) => a))].sort());
  });

  test("each environment's consumer reaches only its own environment", () => {
    expect(consumerPr7.env).toBe('pr7');
    for (const [mine, theirs] of [
      [consumerDev, consumerPr7],
      [consumerPr7, consumerDev],
    ]) {
      const crossings = consumerNeeds(theirs)
        .filter(([action]) => !action.startsWith('xray:'))
        .filter(([action, resource]) => granted(mine, action, resource).length > 0);
      expect([mine.env, crossings]).toEqual([mine.env, []]);
    }
  });
});

describe('least privilege of the webhook target role', () => {
  /** The role the target assumes, the destination it names, and every document of that role. */
  function webhookGrants() {
    const [target, ...others] = inputs(webhookSynth, T.eventTarget);
    expect(others).toEqual([]);
    const { account, documents } = roleDocuments(webhookSynth, String(target.roleArn));
    const destination = String(target.arn);
    expect(destination).toMatch(
      /^arn:aws:events:us-west-2:\d{12}:api-destination\/tracking-webhook-dev\/[0-9a-f-]{36}$/,
    );
    return { account, documents, destination, bus: String(webhookSynth.outputs.event_bus_arn), target };
  }

  test('it may invoke its API destination, by the ARN the target names', () => {
    const g = webhookGrants();
    expect(evaluate(g.documents, 'events:InvokeApiDestination', g.destination).decision).toBe('allow');
  });

  test('it names exactly that one action', () => {
    const actions = webhookGrants()
      .documents.flatMap((d) => parsePolicy(d))
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => {
        expect([s.notAction, s.notResource, s.conditional]).toEqual([undefined, undefined, false]);
        return s.action ?? [];
      });
    expect(actions).toEqual(['events:InvokeApiDestination']);
  });

  test('nothing beyond it: no other destination, no events, no queue, no role to pass', () => {
    const g = webhookGrants();
    const at = `us-west-2:${g.account}`;
    const uuid = g.destination.split('/').pop()!;
    const forbidden: [string, string][] = [
      ['events:InvokeApiDestination', `arn:aws:events:${at}:api-destination/other-webhook/${uuid}`],
      ['events:InvokeApiDestination', g.destination.replace(uuid, '00000000-0000-4000-8000-000000000000')],
      ['events:InvokeApiDestination', g.destination.replace('-dev/', '-prod/')],
      ['events:PutEvents', g.bus],
      ['events:PutEvents', `arn:aws:events:${at}:event-bus/default`],
      // EventBridge writes dead letters under the queue's policy, not with this role.
      ['sqs:SendMessage', String((g.target.deadLetterConfig as { arn: string }).arn)],
      ['secretsmanager:GetSecretValue', `arn:aws:secretsmanager:${at}:secret:events!connection/tracking-webhook-dev/x`],
      ['iam:PassRole', `arn:aws:iam::${g.account}:role/any`],
    ];
    expect(
      forbidden.filter(([action, resource]) => evaluate(g.documents, action, resource).allowedBy.length > 0),
    ).toEqual([]);
  });
});
