/**
 * Alarms -> one SNS topic (optionally e-mailed), and the dashboard. Every alarm names its metric's
 * full dimension set (CloudWatch matches dimensions exactly; a partial set never fires) and treats
 * missing data as not breaching: no traffic is not an incident. Every description says what the
 * alarm really watches (its metric, and what does and does not reach it).
 */
import * as pulumi from '@pulumi/pulumi';
import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as sns from '@pulumi/aws/sns';
import { METRICS, OBSERVABILITY, TRACKING_TABLE } from '../lambda/contract';
import type { TapStackArgs } from './config';
import { resourceNames } from './names';
import type { Scope } from './scope';
import { customMetricDimensions, dashboardBody } from './dashboard';

export interface MonitoredNames {
  region: pulumi.Input<string>;
  apiName: pulumi.Input<string>;
  stageName: pulumi.Input<string>;
  functionName: pulumi.Input<string>;
  tableName: pulumi.Input<string>;
  queueName: pulumi.Input<string>;
  /** The API function's own dead-letter queue (failed asynchronous invocations). */
  functionDeadLetterQueueName: pulumi.Input<string>;
  /** The stream consumer (lambda/consumer.ts) and its mapping's failure queue. */
  consumerFunctionName: pulumi.Input<string>;
  streamFailureQueueName: pulumi.Input<string>;
  /** The stack's bus (lib/events.ts). */
  eventBusName: pulumi.Input<string>;
  /** Only with a webhook (lib/webhook.ts): its rule on the bus and its dead-letter queue. */
  webhook?: { ruleName: pulumi.Input<string>; deadLetterQueueName: pulumi.Input<string> };
}

interface AlarmSpec {
  /** Logical name and physical base name: `tracking-<key>-<suffix>`. */
  key: string;
  description: string;
  namespace: string;
  metricName: string;
  dimensions: Record<string, pulumi.Input<string>>;
  statistic?: string;
  extendedStatistic?: string;
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
  comparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  threshold: number;
}

/**
 * The webhook's delivery: AWS/Events metrics of a rule on a custom bus carry EventBusName and
 * RuleName (the RuleName alone names a rule of the default bus), and EventBridge publishes the
 * failure metrics only when they are not zero.
 */
function webhookAlarmSpecs(webhook: NonNullable<MonitoredNames['webhook']>, eventBusName: pulumi.Input<string>) {
  const rule = { EventBusName: eventBusName, RuleName: webhook.ruleName };
  const fiveMinutes = { period: 300, evaluationPeriods: 1 };
  const anyAtAll = { comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: 1 } as const;
  const specs: AlarmSpec[] = [
    {
      key: 'webhook-failed-invocations',
      description:
        'Webhook deliveries failed permanently: the status-changed rule gave up invoking its API destination (24 h of retries exhausted, or the receiver answered a status EventBridge does not retry); EventBridge sends those events to the webhook dead-letter queue',
      namespace: 'AWS/Events',
      metricName: 'FailedInvocations',
      dimensions: rule,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'webhook-dead-letter-failures',
      description:
        'Failed webhook deliveries EventBridge could not put on the dead-letter queue either (queue policy, queue missing or message too large): those status-change events are lost',
      namespace: 'AWS/Events',
      metricName: 'InvocationsFailedToBeSentToDlq',
      dimensions: rule,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'webhook-dead-letters',
      description:
        'Status-change events the webhook never received are waiting on its dead-letter queue (inspect, then redrive or discard them)',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: webhook.deadLetterQueueName },
      statistic: 'Maximum',
      ...fiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
  ];
  return specs;
}

function alarmSpecs(names: MonitoredNames, environment: string): AlarmSpec[] {
  const api = { ApiName: names.apiName, Stage: names.stageName };
  const fn = { FunctionName: names.functionName };
  // The API function's custom metrics carry exactly the dimensions it emits them with (METRIC_DIMENSIONS).
  const apiMetrics = customMetricDimensions(OBSERVABILITY.serviceName, environment);
  const consumer = { FunctionName: names.consumerFunctionName };
  const table = { TableName: names.tableName };
  const index = { TableName: names.tableName, GlobalSecondaryIndexName: TRACKING_TABLE.statusIndex.name };
  const fiveMinutes = { period: 300, evaluationPeriods: 1 };
  const anyAtAll = { comparisonOperator: 'GreaterThanOrEqualToThreshold', threshold: 1 } as const;
  // ThrottledRequests is only published per Operation; Read/WriteThrottleEvents exist per table and
  // per index, which is what these alarms watch.
  const throttles = (
    key: string,
    metricName: string,
    dimensions: Record<string, pulumi.Input<string>>,
    what: string,
  ): AlarmSpec => ({
    key,
    description: `${what} (${metricName}, at least one in 5 minutes). The SDK retries throttled requests; ${
      metricName === 'WriteThrottleEvents'
        ? 'a write still refused after the retries is parked on the parking queue (202)'
        : 'a read still refused after the retries answers 503'
    }`,
    namespace: 'AWS/DynamoDB',
    metricName,
    dimensions,
    statistic: 'Sum',
    ...fiveMinutes,
    ...anyAtAll,
  });
  return [
    {
      key: 'api-4xx',
      description:
        "More than 20 4XX answers of the API stage in 5 minutes (API Gateway 4XXError): the function's own 4XX (bad input, unknown route or method) and those the gateway answers itself (failed SigV4 or IAM authorization, request validation, stage throttling 429)",
      namespace: 'AWS/ApiGateway',
      metricName: '4XXError',
      dimensions: api,
      statistic: 'Sum',
      ...fiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 20,
    },
    {
      // Bad input never yields a 5xx (the contract): any 5xx is a fault or an outage (a 503 when
      // DynamoDB refuses a query after retries), worth a look even at low traffic.
      key: 'api-5xx',
      description:
        "At least one 5XX answer of the API stage in 5 minutes (API Gateway 5XXError): the function's 500 (see function-unhandled-errors) and 503 (an update neither stored nor parked, a read DynamoDB refused), and integration failures (the function failed, timed out or was throttled)",
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      dimensions: api,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'api-latency-p99',
      description:
        'p99 of the API stage latency (API Gateway Latency: the gateway and the function, per request) above 2 s in 3 consecutive minutes',
      namespace: 'AWS/ApiGateway',
      metricName: 'Latency',
      dimensions: api,
      extendedStatistic: 'p99',
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 2000,
    },
    {
      key: 'function-errors',
      description:
        'API function invocations that failed (the handler threw, timed out or ran out of memory: AWS/Lambda Errors); errors the handler answers as 500 are counted by UnhandledError (alarm function-unhandled-errors)',
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: fn,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'function-throttles',
      description:
        'API function invocations Lambda refused for lack of concurrency (AWS/Lambda Throttles: reserved or account concurrency exhausted); those requests were never handled',
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      dimensions: fn,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'parked-updates',
      description:
        'Messages are waiting on the parking queue (visible messages): tracking updates DynamoDB refused, parked and answered 202, waiting for a replay (npm run replay). Messages the replay reports as unreplayable stay here, and keep this alarm on, until an operator deletes them',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: names.queueName },
      statistic: 'Maximum',
      ...fiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
    {
      // Lambda counts a handled 500 as a successful invocation: function-errors never sees it.
      key: 'function-unhandled-errors',
      description:
        "Requests the API function answered 500 'internal error' (its UnhandledError metric: an error no route expected, a bug). Lambda counts these invocations as successful, so function-errors never sees them",
      namespace: OBSERVABILITY.metricsNamespace,
      metricName: METRICS.unhandledError,
      dimensions: apiMetrics,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'function-config-fallback',
      description:
        'The API function could not read its SSM config or flags (unreachable, refused or malformed: its ConfigFallback metric) and served their last known values or the documented defaults; requests are still answered',
      namespace: OBSERVABILITY.metricsNamespace,
      metricName: METRICS.configFallback,
      dimensions: apiMetrics,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      // No bad moment that passes: the stack is wrong until an operator fixes it, so at once.
      key: 'function-configuration-errors',
      description:
        'DynamoDB refused API function writes or reads because the stack is misconfigured (AccessDenied, ResourceNotFound, UnrecognizedClient, ValidationException: its ConfigurationError metric), at least one in a minute. Writes are parked (replay them once fixed), reads answer 503: fix the role, table or key schema',
      namespace: OBSERVABILITY.metricsNamespace,
      metricName: METRICS.configurationError,
      dimensions: apiMetrics,
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 1,
      ...anyAtAll,
    },
    {
      key: 'function-dead-letters',
      description:
        "Failed ASYNCHRONOUS invocations of the API function are waiting on its own dead-letter queue (visible messages: Lambda's records, the event with the error in message attributes). API Gateway invokes the function synchronously, so anything here is unexpected: inspect, then delete",
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: names.functionDeadLetterQueueName },
      statistic: 'Maximum',
      ...fiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
    throttles('table-write-throttles', 'WriteThrottleEvents', table, 'DynamoDB throttled writes to the tracking table'),
    throttles('table-read-throttles', 'ReadThrottleEvents', table, 'DynamoDB throttled reads of the tracking table'),
    throttles(
      'index-write-throttles',
      'WriteThrottleEvents',
      index,
      "DynamoDB throttled StatusIndex writes (the consumer's state records; the index's back-pressure throttles table writes too)",
    ),
    throttles(
      'index-read-throttles',
      'ReadThrottleEvents',
      index,
      'DynamoDB throttled StatusIndex reads (GET /shipments)',
    ),
    {
      // With ReportBatchItemFailures, a batch whose records the consumer reports as failed is a
      // SUCCESSFUL invocation: Errors counts only invocations that failed as a whole.
      key: 'consumer-errors',
      description:
        'The projection consumer failed whole batch invocations (unhandled error or timeout: the batch is halved and retried). Records it reports as batch item failures are not counted here: see consumer-projection-failed',
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: consumer,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'consumer-projection-failed',
      description:
        'Stream records the projection consumer could not project (its ProjectionFailed metric: reported as batch item failures and retried; after the retries they go to the failure queue)',
      namespace: OBSERVABILITY.metricsNamespace,
      metricName: METRICS.projectionFailed,
      dimensions: customMetricDimensions(OBSERVABILITY.consumerServiceName, environment),
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'consumer-iterator-age',
      description:
        "The age of the newest record of the projection consumer's batches (AWS/Lambda IteratorAge, maximum) above a minute in 3 consecutive minutes: the projection lags the table (GET /shipments shows stale states)",
      namespace: 'AWS/Lambda',
      metricName: 'IteratorAge',
      dimensions: consumer,
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 60_000,
    },
    {
      key: 'stream-failures',
      description:
        "Stream records the projection consumer gave up on are waiting on the failure queue (visible messages: the mapping's failure records, pointing at the records in the stream, kept 24 h); their shipments show a stale state",
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: names.streamFailureQueueName },
      statistic: 'Maximum',
      ...fiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
    {
      // PutEvents answers per entry: the consumer counts the entries EventBridge refused.
      key: 'consumer-events-failed',
      description:
        "EventBridge refused status-change events the projection consumer put on the bus (StatusEventsFailed): their stream records are retried as batch item failures (after the mapping's retries, recorded on the failure queue), so the bus and the webhook get those events late or not at all",
      namespace: OBSERVABILITY.metricsNamespace,
      metricName: METRICS.eventsFailed,
      dimensions: customMetricDimensions(OBSERVABILITY.consumerServiceName, environment),
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    ...(names.webhook ? webhookAlarmSpecs(names.webhook, names.eventBusName) : []),
  ];
}

export interface Monitoring {
  topic: sns.Topic;
  alarms: cloudwatch.MetricAlarm[];
  dashboard: cloudwatch.Dashboard;
}

export function createMonitoring(scope: Scope, args: TapStackArgs, names: MonitoredNames): Monitoring {
  const suffix = args.environmentSuffix;
  const parent = scope.parent;

  const topic = new sns.Topic(scope.name('alarm-topic'), { name: resourceNames(suffix).alarmTopic }, { parent });
  if (args.alarmEmail) {
    // E-mail subscriptions stay pending until the recipient confirms.
    new sns.TopicSubscription(
      scope.name('alarm-email'),
      { topic: topic.arn, protocol: 'email', endpoint: args.alarmEmail },
      { parent },
    );
  }

  const alarms = alarmSpecs(names, suffix).map(
    ({ key, description, ...metric }) =>
      new cloudwatch.MetricAlarm(
        scope.name(`${key}-alarm`),
        {
          name: resourceNames(suffix).alarm(key),
          alarmDescription: description,
          ...metric,
          treatMissingData: 'notBreaching',
          alarmActions: [topic.arn],
          okActions: [topic.arn],
        },
        { parent },
      ),
  );

  const dashboard = new cloudwatch.Dashboard(
    scope.name('dashboard'),
    {
      dashboardName: resourceNames(suffix).dashboard,
      dashboardBody: pulumi
        .output(names)
        .apply((resolved) =>
          JSON.stringify(
            dashboardBody({ ...resolved, environment: suffix, indexName: TRACKING_TABLE.statusIndex.name }),
          ),
        ),
    },
    { parent },
  );

  return { topic, alarms, dashboard };
}
