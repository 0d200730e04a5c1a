/**
 * The CloudWatch dashboard body (plain data). Every metric is spelled out with its full dimension set:
 * CloudWatch matches dimensions exactly, so a metric without them silently shows nothing.
 */
import { CONSUMER_METRICS, METRICS, METRIC_DIMENSIONS, OBSERVABILITY } from '../lambda/contract';

export interface DashboardNames {
  region: string;
  /** The environment suffix: the functions' `environment` metric dimension. */
  environment: string;
  apiName: string;
  stageName: string;
  functionName: string;
  tableName: string;
  indexName: string;
  queueName: string;
  /** The API function's own dead-letter queue (failed asynchronous invocations). */
  functionDeadLetterQueueName: string;
  /** The stream consumer and its mapping's failure queue. */
  consumerFunctionName: string;
  streamFailureQueueName: string;
  /** The stack's bus, and with a webhook its rule on the bus and its dead-letter queue. */
  eventBusName: string;
  webhook?: { ruleName: string; deadLetterQueueName: string };
}

/** The consumer's metrics about the status-change events it puts (charted apart from the projection's). */
const EVENT_METRICS: readonly string[] = [METRICS.eventsPut, METRICS.eventsFailed];

/** What the webhook's rule target did, per EventBridge (AWS/Events, with EventBusName and RuleName). */
const WEBHOOK_RULE_METRICS = [
  'Invocations',
  'FailedInvocations',
  'InvocationsSentToDlq',
  'InvocationsFailedToBeSentToDlq',
] as const;

type MetricRow = (string | { stat?: string; label?: string })[];

interface Widget {
  type: 'metric';
  x: number;
  y: number;
  width: number;
  height: number;
  properties: {
    title: string;
    region: string;
    view: 'timeSeries';
    stacked: false;
    period: number;
    metrics: MetricRow[];
  };
}

/**
 * The dimensions a function puts on every custom metric (METRIC_DIMENSIONS): its Powertools
 * service name and the environment. Typed on the contract's list: a new dimension fails the type check.
 */
export function customMetricDimensions(
  serviceName: string,
  environment: string,
): Record<(typeof METRIC_DIMENSIONS)[number], string> {
  return { service: serviceName, environment };
}

export function dashboardBody(names: DashboardNames): { widgets: Widget[] } {
  const api = (metric: string, stat: string): MetricRow => [
    'AWS/ApiGateway',
    metric,
    'ApiName',
    names.apiName,
    'Stage',
    names.stageName,
    { stat, label: `${metric} ${stat}` },
  ];
  const lambdaMetric =
    (functionName: string) =>
    (metric: string, stat: string): MetricRow => [
      'AWS/Lambda',
      metric,
      'FunctionName',
      functionName,
      { stat, label: `${metric} ${stat}` },
    ];
  const fn = lambdaMetric(names.functionName);
  const consumer = lambdaMetric(names.consumerFunctionName);
  const table = (metric: string): MetricRow => [
    'AWS/DynamoDB',
    metric,
    'TableName',
    names.tableName,
    { stat: 'Sum', label: `table ${metric}` },
  ];
  const index = (metric: string): MetricRow => [
    'AWS/DynamoDB',
    metric,
    'TableName',
    names.tableName,
    'GlobalSecondaryIndexName',
    names.indexName,
    { stat: 'Sum', label: `${names.indexName} ${metric}` },
  ];
  const queue = (queueName: string, metric: string): MetricRow => [
    'AWS/SQS',
    metric,
    'QueueName',
    queueName,
    { stat: 'Maximum', label: metric },
  ];
  const custom =
    (serviceName: string) =>
    (metric: string): MetricRow => {
      const dimensions = customMetricDimensions(serviceName, names.environment);
      return [
        OBSERVABILITY.metricsNamespace,
        metric,
        ...METRIC_DIMENSIONS.flatMap((d) => [d, dimensions[d]]),
        { stat: 'Sum', label: metric },
      ];
    };
  const apiMetrics = Object.values(METRICS).filter((m) => !(CONSUMER_METRICS as readonly string[]).includes(m));
  const projectionMetrics = CONSUMER_METRICS.filter((m) => !EVENT_METRICS.includes(m));
  const webhookPanels = (webhook: NonNullable<DashboardNames['webhook']>) => {
    const rule = (metric: string): MetricRow => [
      'AWS/Events',
      metric,
      'EventBusName',
      names.eventBusName,
      'RuleName',
      webhook.ruleName,
      { stat: 'Sum', label: metric },
    ];
    return [
      // Invocations counts deliveries, successful or failed (retries only once they fail for good);
      // EventBridge publishes these metrics only when they are not zero.
      { title: 'Webhook deliveries (status-changed rule)', metrics: WEBHOOK_RULE_METRICS.map(rule) },
      {
        title: 'Webhook dead letters (queue)',
        metrics: [
          queue(webhook.deadLetterQueueName, 'ApproximateNumberOfMessagesVisible'),
          queue(webhook.deadLetterQueueName, 'ApproximateAgeOfOldestMessage'),
        ],
      },
    ];
  };

  const panels: { title: string; metrics: MetricRow[] }[] = [
    {
      title: 'API requests and errors',
      metrics: [api('Count', 'Sum'), api('4XXError', 'Sum'), api('5XXError', 'Sum')],
    },
    {
      title: 'API latency (ms)',
      metrics: [api('Latency', 'p50'), api('Latency', 'p99'), api('IntegrationLatency', 'p99')],
    },
    {
      title: 'Function invocations',
      metrics: [
        fn('Invocations', 'Sum'),
        fn('Errors', 'Sum'),
        fn('Throttles', 'Sum'),
        fn('ConcurrentExecutions', 'Maximum'),
      ],
    },
    { title: 'Function duration (ms)', metrics: [fn('Duration', 'p50'), fn('Duration', 'p99')] },
    {
      title: 'Tracking table capacity',
      metrics: [
        table('ConsumedWriteCapacityUnits'),
        table('ConsumedReadCapacityUnits'),
        index('ConsumedWriteCapacityUnits'),
      ],
    },
    {
      title: 'Tracking table throttles',
      metrics: [
        table('WriteThrottleEvents'),
        table('ReadThrottleEvents'),
        index('WriteThrottleEvents'),
        index('ReadThrottleEvents'),
      ],
    },
    {
      title: 'Parked updates (queue)',
      metrics: [
        queue(names.queueName, 'ApproximateNumberOfMessagesVisible'),
        queue(names.queueName, 'ApproximateAgeOfOldestMessage'),
      ],
    },
    {
      title: 'API function dead letters (failed async invocations)',
      metrics: [
        queue(names.functionDeadLetterQueueName, 'ApproximateNumberOfMessagesVisible'),
        queue(names.functionDeadLetterQueueName, 'ApproximateAgeOfOldestMessage'),
      ],
    },
    { title: 'Tracking outcomes (function metrics)', metrics: apiMetrics.map(custom(OBSERVABILITY.serviceName)) },
    {
      // Errors are whole failed batches; records reported as batch item failures show as ProjectionFailed.
      title: 'Projection consumer invocations',
      metrics: [
        consumer('Invocations', 'Sum'),
        consumer('Errors', 'Sum'),
        consumer('Throttles', 'Sum'),
        consumer('Duration', 'p99'),
      ],
    },
    { title: 'Projection lag (ms)', metrics: [consumer('IteratorAge', 'Maximum')] },
    {
      title: 'Projection outcomes (consumer metrics)',
      metrics: projectionMetrics.map(custom(OBSERVABILITY.consumerServiceName)),
    },
    {
      title: 'Stream failures (queue)',
      metrics: [
        queue(names.streamFailureQueueName, 'ApproximateNumberOfMessagesVisible'),
        queue(names.streamFailureQueueName, 'ApproximateAgeOfOldestMessage'),
      ],
    },
    {
      title: 'Status-change events put on the bus (consumer metrics)',
      metrics: EVENT_METRICS.map(custom(OBSERVABILITY.consumerServiceName)),
    },
    ...(names.webhook ? webhookPanels(names.webhook) : []),
  ];

  const width = 12;
  const height = 6;
  return {
    widgets: panels.map((panel, i) => ({
      type: 'metric',
      x: (i % 2) * width,
      y: Math.floor(i / 2) * height,
      width,
      height,
      properties: {
        title: panel.title,
        region: names.region,
        view: 'timeSeries',
        stacked: false,
        period: 60,
        metrics: panel.metrics,
      },
    })),
  };
}
