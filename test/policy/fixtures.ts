/**
 * A hand-made stack in the synth harness's shape that meets every rule: the design of DESIGN.md
 * (REST API with IAM auth and a validated POST, traced and logged stage, Lambda with its log group
 * and DLQ, DynamoDB, SQS with TLS-only policy, SSM, the event bus, alarms, least-privilege role). The bad cases
 * in policies.test.ts each break one thing in a fresh copy.
 */
import { parameterNames, STREAM_FILTER_PATTERN } from '../../lambda/contract';
import { resolveStackArgs } from '../../lib/config';
import { functionDefinitions } from '../../lib/functions';
import type { SynthResource } from './harness';

const ACCOUNT = '123456789012';
const REGION = 'us-west-2';
const ENV = 'dev';
const API_ID = 'tapapi1234';
const TABLE = `tracking-${ENV}`;
const QUEUE = `tracking-dlq-${ENV}`;
const FUNCTION = `tracking-handler-${ENV}`;
const FN_LOG_GROUP = `/aws/lambda/${FUNCTION}`;
const ACCESS_LOG_GROUP = `/aws/apigateway/tracking-api-${ENV}`;
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:tracking-alarms-${ENV}`;
const BUS = `tracking-events-${ENV}`;

export const ARN = {
  table: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`,
  queue: `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE}`,
  queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${QUEUE}`,
  parameter: (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`,
  logGroup: (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`,
  executeApi: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}`,
  bus: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`,
};

const PARAMETERS = parameterNames(ENV);

/** The function role's inline policy: exactly the handler's actions on exactly its resources. */
export const FUNCTION_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'TrackingTable', Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: ARN.table },
    {
      Sid: 'TrackingQueries',
      Effect: 'Allow',
      Action: ['dynamodb:Query'],
      Resource: [ARN.table, `${ARN.table}/index/StatusIndex`],
    },
    {
      // The config and the flags; the endpoint parameter is published for other consumers, not read.
      Sid: 'Parameters',
      Effect: 'Allow',
      Action: ['ssm:GetParameter'],
      Resource: [PARAMETERS.config, PARAMETERS.flags].map(ARN.parameter),
    },
    { Sid: 'ParkingQueue', Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: ARN.queue },
    {
      Sid: 'Logs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${ARN.logGroup(FN_LOG_GROUP)}:*`,
    },
    { Sid: 'XRay', Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
  ],
};

const json = (value: unknown) => JSON.stringify(value);

const lambdaTrust = json({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

function resource(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  parent: string | null = 'tap',
): SynthResource {
  return { type, name, parent, inputs };
}

const alarm = (name: string, metricName: string) =>
  resource('aws:cloudwatch/metricAlarm:MetricAlarm', name, {
    name: `${name}-${ENV}`,
    metricName,
    comparisonOperator: 'GreaterThanThreshold',
    evaluationPeriods: 1,
    threshold: 0,
    alarmActions: [TOPIC_ARN],
    treatMissingData: 'notBreaching',
  });

/** A fresh copy of the compliant stack. */
export function goodStack(): SynthResource[] {
  return [
    resource('tap:stack:TapStack', 'tap', {}, null),
    resource('aws:dynamodb/table:Table', 'tracking-table', {
      name: TABLE,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'tracking_id',
      rangeKey: 'timestamp',
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: false,
      streamEnabled: true,
      streamViewType: 'NEW_AND_OLD_IMAGES',
    }),
    resource('aws:sqs/queue:Queue', 'tracking-dlq', {
      name: QUEUE,
      messageRetentionSeconds: 1209600,
      sqsManagedSseEnabled: true,
    }),
    resource('aws:sqs/queuePolicy:QueuePolicy', 'tracking-dlq-policy', {
      queueUrl: ARN.queueUrl,
      policy: json({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: ARN.queue,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    }),
    resource('aws:ssm/parameter:Parameter', 'api-config', {
      name: PARAMETERS.config,
      type: 'String',
      value: json({ max_request_size: 10240, timeout: 10, rate_limit: 100 }),
    }),
    resource('aws:ssm/parameter:Parameter', 'db-endpoint', {
      name: PARAMETERS.endpoint,
      type: 'SecureString',
      value: TABLE,
    }),
    resource('aws:ssm/parameter:Parameter', 'feature-flags', {
      name: PARAMETERS.flags,
      type: 'String',
      value: json({ enhanced_tracking: true, batch_processing: true, real_time_notifications: false }),
    }),
    resource('aws:cloudwatch/logGroup:LogGroup', 'function-logs', { name: FN_LOG_GROUP, retentionInDays: 7 }),
    resource('aws:iam/role:Role', 'function-role', {
      name: `tracking-handler-role-${ENV}`,
      assumeRolePolicy: lambdaTrust,
    }),
    resource('aws:iam/rolePolicy:RolePolicy', 'function-policy', {
      role: `tracking-handler-role-${ENV}`,
      policy: json(FUNCTION_POLICY),
    }),
    resource('aws:lambda/function:Function', 'tracking-handler', {
      name: FUNCTION,
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      role: `arn:aws:iam::${ACCOUNT}:role/tracking-handler-role-${ENV}`,
      timeout: 10,
      memorySize: 512,
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: FN_LOG_GROUP },
      deadLetterConfig: { targetArn: ARN.queue },
      reservedConcurrentExecutions: -1,
      // The function's own environment, from its one description (lib/functions.ts).
      environment: {
        variables: functionDefinitions(
          resolveStackArgs(() => undefined, { ENVIRONMENT_SUFFIX: ENV }),
          {
            tableName: TABLE,
            idempotencyTableName: `tracking-idempotency-${ENV}`,
            queueUrl: ARN.queueUrl,
            configParameter: PARAMETERS.config,
            flagsParameter: PARAMETERS.flags,
            eventBusName: BUS,
          },
        ).api.environment,
      },
    }),
    resource('aws:apigateway/restApi:RestApi', 'tracking-api', {
      name: `tracking-api-${ENV}`,
      endpointConfiguration: { types: 'REGIONAL' },
    }),
    resource('aws:apigateway/model:Model', 'tracking-model', {
      restApi: API_ID,
      name: 'TrackingRequest',
      contentType: 'application/json',
      schema: json({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }),
    }),
    resource('aws:apigateway/requestValidator:RequestValidator', 'validator', {
      restApi: API_ID,
      name: 'body-and-params',
      validateRequestBody: true,
      validateRequestParameters: true,
    }),
    resource('aws:apigateway/method:Method', 'track-post', {
      restApi: API_ID,
      resourceId: 'trk123',
      httpMethod: 'POST',
      authorization: 'AWS_IAM',
      requestValidatorId: 'validator-id',
      requestModels: { 'application/json': 'TrackingRequest' },
    }),
    resource('aws:apigateway/method:Method', 'status-get', {
      restApi: API_ID,
      resourceId: 'sts123',
      httpMethod: 'GET',
      authorization: 'AWS_IAM',
      requestValidatorId: 'validator-id',
      requestParameters: { 'method.request.querystring.tracking_id': true },
    }),
    resource('aws:cloudwatch/logGroup:LogGroup', 'access-logs', { name: ACCESS_LOG_GROUP, retentionInDays: 7 }),
    resource('aws:cloudwatch/logGroup:LogGroup', 'execution-logs', {
      name: `API-Gateway-Execution-Logs_${API_ID}/${ENV}`,
      retentionInDays: 7,
    }),
    resource('aws:apigateway/stage:Stage', 'stage', {
      restApi: API_ID,
      stageName: ENV,
      deployment: 'dep123',
      xrayTracingEnabled: true,
      accessLogSettings: {
        destinationArn: ARN.logGroup(ACCESS_LOG_GROUP),
        format: json({
          requestId: '$context.requestId',
          caller: '$context.identity.caller',
          status: '$context.status',
          latency: '$context.responseLatency',
        }),
      },
    }),
    resource('aws:apigateway/methodSettings:MethodSettings', 'stage-settings', {
      restApi: API_ID,
      stageName: ENV,
      methodPath: '*/*',
      settings: {
        metricsEnabled: true,
        loggingLevel: 'ERROR',
        dataTraceEnabled: false,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
      },
    }),
    resource('aws:lambda/permission:Permission', 'invoke-permission', {
      action: 'lambda:InvokeFunction',
      function: FUNCTION,
      principal: 'apigateway.amazonaws.com',
      sourceArn: `${ARN.executeApi}/*/*`,
    }),
    resource('aws:sns/topic:Topic', 'alarm-topic', { name: `tracking-alarms-${ENV}` }),
    // The stack's bus: encrypted by EventBridge (AWS owned key), no resource policy (both waived).
    resource('aws:cloudwatch/eventBus:EventBus', 'event-bus', { name: BUS }),
    alarm('api-5xx', '5XXError'),
    alarm('function-errors', 'Errors'),
    alarm('queue-depth', 'ApproximateNumberOfMessagesVisible'),
    resource('aws:iam/role:Role', 'apigateway-logs-role', {
      name: `apigateway-logs-${ENV}`,
      assumeRolePolicy: json({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
    resource('aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'apigateway-logs-policy', {
      role: `apigateway-logs-${ENV}`,
      policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
    }),
  ];
}

const CONSUMER = `tracking-projection-${ENV}`;
const CONSUMER_LOG_GROUP = `/aws/lambda/${CONSUMER}`;
const FAILURE_QUEUE = `tracking-projection-failures-${ENV}`;

export const CONSUMER_ARN = {
  function: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${CONSUMER}`,
  stream: `${ARN.table}/stream/2024-01-01T00:00:00.000`,
  failureQueue: `arn:aws:sqs:${REGION}:${ACCOUNT}:${FAILURE_QUEUE}`,
};

/**
 * The compliant stack plus a stream consumer as the design has it: a function with no DLQ whose
 * only trigger is an event source mapping from the table's stream, with an on-failure destination
 * (an encrypted, TLS-only queue), its own log group, role and least-privilege policy.
 */
export function withStreamConsumer(resources: SynthResource[]): SynthResource[] {
  return [
    ...resources,
    resource('aws:sqs/queue:Queue', 'stream-failures', {
      name: FAILURE_QUEUE,
      messageRetentionSeconds: 1209600,
      sqsManagedSseEnabled: true,
    }),
    resource('aws:sqs/queuePolicy:QueuePolicy', 'stream-failures-policy', {
      queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${FAILURE_QUEUE}`,
      policy: json({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: CONSUMER_ARN.failureQueue,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    }),
    resource('aws:cloudwatch/logGroup:LogGroup', 'consumer-logs', { name: CONSUMER_LOG_GROUP, retentionInDays: 7 }),
    resource('aws:iam/role:Role', 'consumer-role', { name: `${CONSUMER}-role`, assumeRolePolicy: lambdaTrust }),
    resource('aws:iam/rolePolicy:RolePolicy', 'consumer-policy', {
      role: `${CONSUMER}-role`,
      policy: json({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'dynamodb:DescribeStream',
              'dynamodb:GetRecords',
              'dynamodb:GetShardIterator',
              'dynamodb:ListStreams',
            ],
            Resource: CONSUMER_ARN.stream,
          },
          { Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: ARN.table },
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: CONSUMER_ARN.failureQueue },
          { Effect: 'Allow', Action: 'ssm:GetParameter', Resource: ARN.parameter(PARAMETERS.flags) },
          { Effect: 'Allow', Action: 'events:PutEvents', Resource: ARN.bus },
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: `${ARN.logGroup(CONSUMER_LOG_GROUP)}:*`,
          },
        ],
      }),
    }),
    resource('aws:lambda/function:Function', 'consumer', {
      name: CONSUMER,
      runtime: 'nodejs22.x',
      architectures: ['arm64'],
      handler: 'index.handler',
      role: `arn:aws:iam::${ACCOUNT}:role/${CONSUMER}-role`,
      timeout: 60,
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: CONSUMER_LOG_GROUP },
      reservedConcurrentExecutions: 2,
      environment: {
        variables: {
          TABLE_NAME: TABLE,
          ENVIRONMENT: ENV,
          STATUS_SHARD_COUNT: '8',
          FLAGS_PARAMETER_NAME: PARAMETERS.flags,
          EVENT_BUS_NAME: BUS,
        },
      },
    }),
    resource('aws:lambda/eventSourceMapping:EventSourceMapping', 'consumer-mapping', {
      eventSourceArn: CONSUMER_ARN.stream,
      // By ARN here (the stack names it by name): the rule links either.
      functionName: CONSUMER_ARN.function,
      startingPosition: 'TRIM_HORIZON',
      functionResponseTypes: ['ReportBatchItemFailures'],
      bisectBatchOnFunctionError: true,
      maximumRetryAttempts: 5,
      destinationConfig: { onFailure: { destinationArn: CONSUMER_ARN.failureQueue } },
      filterCriteria: { filters: [{ pattern: json(STREAM_FILTER_PATTERN) }] },
    }),
  ];
}

const WEBHOOK_DLQ = `tracking-webhook-failures-${ENV}`;
const WEBHOOK_RULE = `tracking-status-changed-${ENV}`;
const WEBHOOK_ROLE = `tracking-webhook-invoke-${ENV}`;

export const WEBHOOK_ARN = {
  connection: `arn:aws:events:${REGION}:${ACCOUNT}:connection/tracking-webhook-${ENV}/0b7d6e2c-5a1f-4c3e-9d8b-2f6a1e0c4b7d`,
  destination: `arn:aws:events:${REGION}:${ACCOUNT}:api-destination/tracking-webhook-${ENV}/7e3a9c1d-2b4f-4e6a-8c0d-5f1b3a7e9c2d`,
  rule: `arn:aws:events:${REGION}:${ACCOUNT}:rule/${BUS}/${WEBHOOK_RULE}`,
  deadLetterQueue: `arn:aws:sqs:${REGION}:${ACCOUNT}:${WEBHOOK_DLQ}`,
  deadLetterQueueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${WEBHOOK_DLQ}`,
};

/** The DLQ's policy: TLS only, and EventBridge may send for the webhook rule only. */
export const WEBHOOK_DLQ_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'DenyInsecureTransport',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sqs:*',
      Resource: WEBHOOK_ARN.deadLetterQueue,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    },
    {
      Sid: 'EventBridgeDeadLetters',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: WEBHOOK_ARN.deadLetterQueue,
      Condition: { ArnEquals: { 'aws:SourceArn': WEBHOOK_ARN.rule } },
    },
  ],
};

/**
 * The compliant stack plus the webhook as the design has it: an API-key connection, an API
 * destination, a rule on the bus, a target with its own role (InvokeApiDestination on the
 * destination only), retries and a dead-letter queue EventBridge may write to for this rule only.
 */
export function withWebhook(resources: SynthResource[]): SynthResource[] {
  return [
    ...resources,
    resource('aws:cloudwatch/eventConnection:EventConnection', 'webhook-connection', {
      name: `tracking-webhook-${ENV}`,
      authorizationType: 'API_KEY',
      authParameters: { apiKey: { key: 'X-Webhook-Secret', value: 'not-a-real-secret' } },
    }),
    resource('aws:cloudwatch/eventApiDestination:EventApiDestination', 'webhook-destination', {
      name: `tracking-webhook-${ENV}`,
      invocationEndpoint: 'https://hooks.example.com/status',
      httpMethod: 'POST',
      connectionArn: WEBHOOK_ARN.connection,
      invocationRateLimitPerSecond: 20,
    }),
    resource('aws:cloudwatch/eventRule:EventRule', 'webhook-rule', {
      name: WEBHOOK_RULE,
      eventBusName: BUS,
      eventPattern: json({ source: ['logistics.tracking'], 'detail-type': ['Shipment Status Changed'] }),
    }),
    resource('aws:sqs/queue:Queue', 'webhook-dlq', {
      name: WEBHOOK_DLQ,
      messageRetentionSeconds: 1209600,
      sqsManagedSseEnabled: true,
    }),
    resource('aws:sqs/queuePolicy:QueuePolicy', 'webhook-dlq-policy', {
      queueUrl: WEBHOOK_ARN.deadLetterQueueUrl,
      policy: json(WEBHOOK_DLQ_POLICY),
    }),
    resource('aws:iam/role:Role', 'webhook-role', {
      name: WEBHOOK_ROLE,
      assumeRolePolicy: json({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
    resource('aws:iam/rolePolicy:RolePolicy', 'webhook-role-policy', {
      name: WEBHOOK_ROLE,
      role: WEBHOOK_ROLE,
      policy: json({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'events:InvokeApiDestination', Resource: WEBHOOK_ARN.destination }],
      }),
    }),
    resource('aws:cloudwatch/eventTarget:EventTarget', 'webhook-target', {
      rule: WEBHOOK_RULE,
      eventBusName: BUS,
      targetId: 'webhook',
      arn: WEBHOOK_ARN.destination,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${WEBHOOK_ROLE}`,
      inputPath: '$.detail',
      retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
      deadLetterConfig: { arn: WEBHOOK_ARN.deadLetterQueue },
    }),
  ];
}

/** Applies `change` to the inputs of the named resource (throws when there is none). */
export function patch(
  resources: SynthResource[],
  name: string,
  change: (inputs: Record<string, unknown>) => void,
): SynthResource[] {
  const target = resources.find((r) => r.name === name);
  if (!target) throw new Error(`fixture has no resource ${name}`);
  change(target.inputs);
  return resources;
}

export function without(resources: SynthResource[], name: string): SynthResource[] {
  if (!resources.some((r) => r.name === name)) throw new Error(`fixture has no resource ${name}`);
  return resources.filter((r) => r.name !== name);
}

export function withResource(
  resources: SynthResource[],
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): SynthResource[] {
  return [...resources, resource(type, name, inputs)];
}

/** Replaces the function policy document by `document`. */
export function functionPolicy(resources: SynthResource[], document: unknown): SynthResource[] {
  return patch(resources, 'function-policy', (i) => {
    i.policy = JSON.stringify(document);
  });
}

export { ACCOUNT, REGION, API_ID };
