/**
 * The CloudWatch dashboard body (plain data). Every metric is spelled out with its full dimension set:
 * CloudWatch matches dimensions exactly, so a metric without them silently shows nothing.
 */
import { METRICS, METRIC_DIMENSIONS, OBSERVABILITY } from '../lambda/contract';

export interface DashboardNames {
  region: string;
  /** The environment suffix: the function's `environment` metric dimension. */
  environment: string;
  apiName: string;
  stageName: string;
  functionName: string;
  tableName: string;
  indexName: string;
  queueName: string;
}

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
  const fn = (metric: string, stat: string): MetricRow => [
    'AWS/Lambda',
    metric,
    'FunctionName',
    names.functionName,
    { stat, label: `${metric} ${stat}` },
  ];
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
  const queue = (metric: string): MetricRow => [
    'AWS/SQS',
    metric,
    'QueueName',
    names.queueName,
    { stat: 'Maximum', label: metric },
  ];
  // The dimensions the handler puts on every custom metric (typed: a new one fails the type check).
  const customDimensions: Record<(typeof METRIC_DIMENSIONS)[number], string> = {
    service: OBSERVABILITY.serviceName,
    environment: names.environment,
  };
  const custom = (metric: string): MetricRow => [
    OBSERVABILITY.metricsNamespace,
    metric,
    ...METRIC_DIMENSIONS.flatMap((d) => [d, customDimensions[d]]),
    { stat: 'Sum', label: metric },
  ];

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
      metrics: [queue('ApproximateNumberOfMessagesVisible'), queue('ApproximateAgeOfOldestMessage')],
    },
    { title: 'Tracking outcomes (function metrics)', metrics: Object.values(METRICS).map(custom) },
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
