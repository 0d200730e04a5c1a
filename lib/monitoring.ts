/**
 * Alarms -> one SNS topic (optionally e-mailed), and the dashboard. Every alarm names its metric's
 * full dimension set (CloudWatch matches dimensions exactly; a partial set never fires) and treats
 * missing data as not breaching: no traffic is not an incident.
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
    description: `${what}: DynamoDB throttled requests (refused writes are parked on the queue)`,
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
      description: 'More than 20 client errors in 5 minutes (bad clients, auth failures or throttling)',
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
      description: 'Any server error in 5 minutes',
      namespace: 'AWS/ApiGateway',
      metricName: '5XXError',
      dimensions: api,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'api-latency-p99',
      description: 'p99 latency above 2 s for 3 consecutive minutes',
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
      description: 'The API function failed (unhandled error or timeout)',
      namespace: 'AWS/Lambda',
      metricName: 'Errors',
      dimensions: fn,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'function-throttles',
      description: 'The API function was throttled (concurrency exhausted)',
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      dimensions: fn,
      statistic: 'Sum',
      ...fiveMinutes,
      ...anyAtAll,
    },
    {
      key: 'parked-updates',
      description: 'Parked tracking updates are waiting for a replay (npm run replay)',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: names.queueName },
      statistic: 'Maximum',
      ...fiveMinutes,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
    },
    throttles('table-write-throttles', 'WriteThrottleEvents', table, 'Tracking table writes'),
    throttles('table-read-throttles', 'ReadThrottleEvents', table, 'Tracking table reads'),
    throttles(
      'index-write-throttles',
      'WriteThrottleEvents',
      index,
      'StatusIndex writes (back-pressure throttles table writes)',
    ),
    throttles('index-read-throttles', 'ReadThrottleEvents', index, 'StatusIndex reads'),
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
        'The projection consumer could not project stream records (reported as batch item failures and retried; after the retries they go to the failure queue)',
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
        'The projection lags the table by more than a minute for 3 consecutive minutes (GET /shipments shows stale states)',
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
        'Stream records the projection consumer gave up on are waiting on the failure queue (their shipments show a stale state)',
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
