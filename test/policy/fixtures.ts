/**
 * A hand-made stack in the synth harness's shape that meets every rule: the design of DESIGN.md
 * (REST API with IAM auth and a validated POST, traced and logged stage, Lambda with its log group
 * and DLQ, DynamoDB, SQS with TLS-only policy, SSM, alarms, least-privilege role). The bad cases
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

export const ARN = {
  table: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`,
  queue: `arn:aws:sqs:${REGION}:${ACCOUNT}:${QUEUE}`,
  queueUrl: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${QUEUE}`,
  parameter: (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`,
  logGroup: (name: string) => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${name}`,
  executeApi: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${API_ID}`,
};

const PARAMETERS = parameterNames(ENV);

/** The function role's inline policy: exactly the handler's actions on exactly its resources. */
export const FUNCTION_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'TrackingTable',
      Effect: 'Allow',
      Action: ['dynamodb:PutItem', 'dynamodb:Query'],
      Resource: [ARN.table, `${ARN.table}/index/StatusIndex`],
    },
    {
      Sid: 'Parameters',
      Effect: 'Allow',
      Action: ['ssm:GetParameter', 'ssm:GetParameters'],
      Resource: Object.values(PARAMETERS).map(ARN.parameter),
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
            queueUrl: ARN.queueUrl,
            configParameter: PARAMETERS.config,
            endpointParameter: PARAMETERS.endpoint,
            flagsParameter: PARAMETERS.flags,
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
      environment: { variables: { TABLE_NAME: TABLE, ENVIRONMENT: ENV, STATUS_SHARD_COUNT: '8' } },
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
