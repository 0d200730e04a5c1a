/** Alarm topic, alarms and the dashboard. */
import { METRICS, METRIC_DIMENSIONS, OBSERVABILITY } from '../../../lambda/contract';
import { CONSUMER_METRICS } from '../../../lambda/contract';
import { TYPES, inputs, ofType } from '../helpers';
import type { Synths } from './synths';

const TOPIC_ARN = 'arn:aws:sns:us-west-2:123456789012:tracking-api-alarms-dev';
const API = { ApiName: 'tracking-api-dev', Stage: 'dev' };
const FUNCTION = { FunctionName: 'tracking-api-dev' };
const TABLE = { TableName: 'tracking-updates-dev' };
const INDEX = { TableName: 'tracking-updates-dev', GlobalSecondaryIndexName: 'StatusIndex' };
const QUEUE = { QueueName: 'tracking-parked-updates-dev' };
const FUNCTION_DLQ = { QueueName: 'tracking-api-dlq-dev' };
const CONSUMER = { FunctionName: 'tracking-projection-dev' };
const FAILURE_QUEUE = { QueueName: 'tracking-projection-failures-dev' };
const API_METRICS = { service: OBSERVABILITY.serviceName, environment: 'dev' };
const CONSUMER_METRIC_DIMENSIONS = { service: OBSERVABILITY.consumerServiceName, environment: 'dev' };
/** With a webhook: its rule on the custom bus (AWS/Events names both) and its dead-letter queue. */
const WEBHOOK_RULE = { EventBusName: 'tracking-events-dev', RuleName: 'tracking-status-changed-dev' };
const WEBHOOK_QUEUE = { QueueName: 'tracking-webhook-failures-dev' };

/** The dimensions each namespace's metrics must carry on the dashboard (CloudWatch matches exactly). */
const REQUIRED_DIMENSIONS: Record<string, Record<string, string>[]> = {
  'AWS/ApiGateway': [API],
  'AWS/Lambda': [FUNCTION, CONSUMER],
  'AWS/DynamoDB': [TABLE, INDEX],
  'AWS/SQS': [QUEUE, FUNCTION_DLQ, FAILURE_QUEUE, WEBHOOK_QUEUE],
  'AWS/Events': [WEBHOOK_RULE],
  // What each function puts on every custom metric (METRIC_DIMENSIONS in the contract).
  [OBSERVABILITY.metricsNamespace]: [API_METRICS, CONSUMER_METRIC_DIMENSIONS],
};

interface MetricWidget {
  type: string;
  properties: { region: string; metrics: (string | object)[][] };
}

/** A dashboard metric row `[namespace, name, dim1, value1, ..., {options}]` as {namespace, name, dimensions}. */
function parseRow(row: (string | object)[]) {
  const [namespace, name, ...rest] = row as string[];
  const pairs = rest.filter((x) => typeof x === 'string');
  const dimensions: Record<string, string> = {};
  for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
  return { namespace, name, dimensions };
}

export function monitoringSpec(s: Synths): void {
  describe('alarm topic', () => {
    it('exists per environment', () => {
      expect(inputs(s.dev, TYPES.topic).name).toBe('tracking-api-alarms-dev');
    });

    it('e-mails the configured address, and nobody when none is configured', () => {
      expect(ofType(s.dev, TYPES.subscription)).toEqual([]);
      expect(inputs(s.variant, TYPES.subscription)).toEqual({
        topic: 'arn:aws:sns:eu-central-1:123456789012:tracking-api-alarms-qa1',
        protocol: 'email',
        endpoint: 'oncall@example.com',
      });
    });
  });

  describe('alarms', () => {
    const alarms = (synth = s.dev) => ofType(synth, TYPES.alarm).map((a) => a.inputs as Record<string, unknown>);

    it('watch the API, both functions, the queues and the table and its index, with these thresholds', () => {
      const summary = alarms().map((a) => ({
        metric: `${a.namespace} ${a.metricName}`,
        dimensions: a.dimensions,
        stat: a.statistic ?? a.extendedStatistic,
        when: `${a.comparisonOperator} ${a.threshold}`,
        window: `${a.datapointsToAlarm ?? a.evaluationPeriods}/${a.evaluationPeriods} x ${a.period}s`,
      }));
      const gte1 = 'GreaterThanOrEqualToThreshold 1';
      expect(summary).toEqual(
        expect.arrayContaining([
          {
            metric: 'AWS/ApiGateway 4XXError',
            dimensions: API,
            stat: 'Sum',
            when: 'GreaterThanThreshold 20',
            window: '1/1 x 300s',
          },
          { metric: 'AWS/ApiGateway 5XXError', dimensions: API, stat: 'Sum', when: gte1, window: '1/1 x 300s' },
          {
            metric: 'AWS/ApiGateway Latency',
            dimensions: API,
            stat: 'p99',
            when: 'GreaterThanThreshold 2000',
            window: '3/3 x 60s',
          },
          { metric: 'AWS/Lambda Errors', dimensions: FUNCTION, stat: 'Sum', when: gte1, window: '1/1 x 300s' },
          { metric: 'AWS/Lambda Throttles', dimensions: FUNCTION, stat: 'Sum', when: gte1, window: '1/1 x 300s' },
          // The API function's own custom metrics: what a handled 500 or a fallback never shows in AWS/Lambda.
          {
            metric: `${OBSERVABILITY.metricsNamespace} ${METRICS.unhandledError}`,
            dimensions: API_METRICS,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
          {
            metric: `${OBSERVABILITY.metricsNamespace} ${METRICS.configFallback}`,
            dimensions: API_METRICS,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
          // A misconfigured stack alarms at once: one in one minute.
          {
            metric: `${OBSERVABILITY.metricsNamespace} ${METRICS.configurationError}`,
            dimensions: API_METRICS,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 60s',
          },
          {
            metric: 'AWS/SQS ApproximateNumberOfMessagesVisible',
            dimensions: QUEUE,
            stat: 'Maximum',
            when: 'GreaterThanThreshold 0',
            window: '1/1 x 300s',
          },
          {
            metric: 'AWS/SQS ApproximateNumberOfMessagesVisible',
            dimensions: FUNCTION_DLQ,
            stat: 'Maximum',
            when: 'GreaterThanThreshold 0',
            window: '1/1 x 300s',
          },
          {
            metric: 'AWS/DynamoDB WriteThrottleEvents',
            dimensions: TABLE,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
          {
            metric: 'AWS/DynamoDB ReadThrottleEvents',
            dimensions: TABLE,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
          {
            metric: 'AWS/DynamoDB WriteThrottleEvents',
            dimensions: INDEX,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
          {
            metric: 'AWS/DynamoDB ReadThrottleEvents',
            dimensions: INDEX,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
          // The stream consumer (details in consumer.ts).
          { metric: 'AWS/Lambda Errors', dimensions: CONSUMER, stat: 'Sum', when: gte1, window: '1/1 x 300s' },
          {
            metric: `${OBSERVABILITY.metricsNamespace} ${METRICS.projectionFailed}`,
            dimensions: CONSUMER_METRIC_DIMENSIONS,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
          {
            metric: 'AWS/Lambda IteratorAge',
            dimensions: CONSUMER,
            stat: 'Maximum',
            when: 'GreaterThanThreshold 60000',
            window: '3/3 x 60s',
          },
          {
            metric: 'AWS/SQS ApproximateNumberOfMessagesVisible',
            dimensions: FAILURE_QUEUE,
            stat: 'Maximum',
            when: 'GreaterThanThreshold 0',
            window: '1/1 x 300s',
          },
          // The status-change events it puts (details in events.ts).
          {
            metric: `${OBSERVABILITY.metricsNamespace} ${METRICS.eventsFailed}`,
            dimensions: CONSUMER_METRIC_DIMENSIONS,
            stat: 'Sum',
            when: gte1,
            window: '1/1 x 300s',
          },
        ]),
      );
      expect(summary).toHaveLength(19);
      // The webhook adds its three (events.ts).
      expect(alarms(s.webhook)).toHaveLength(22);
    });

    it('say what they really watch: a handled 500 is UnhandledError, not a Lambda error; the DLQ is async only', () => {
      const described = (name: string) => alarms().find((a) => a.name === name)?.alarmDescription;
      expect(described('tracking-function-errors-dev')).toBe(
        'API function invocations that failed (the handler threw, timed out or ran out of memory: AWS/Lambda Errors); errors the handler answers as 500 are counted by UnhandledError (alarm function-unhandled-errors)',
      );
      expect(described('tracking-function-unhandled-errors-dev')).toMatch(/answered 500.*UnhandledError/);
      expect(described('tracking-function-config-fallback-dev')).toMatch(/ConfigFallback/);
      expect(described('tracking-function-configuration-errors-dev')).toMatch(
        /AccessDenied, ResourceNotFound, UnrecognizedClient, ValidationException.*ConfigurationError/,
      );
      expect(described('tracking-function-dead-letters-dev')).toMatch(
        /ASYNCHRONOUS invocations.*API Gateway invokes the function synchronously, so anything here is unexpected/,
      );
      expect(described('tracking-parked-updates-dev')).toMatch(/parking queue.*npm run replay/);
      // Each alarm's own description: no two alike.
      const all = alarms().map((a) => a.alarmDescription);
      expect(new Set(all).size).toBe(all.length);
    });

    it("every alarm names its metric's full dimension set", () => {
      // CloudWatch matches dimensions exactly: a partial set never fires.
      for (const alarm of [...alarms(), ...alarms(s.webhook)]) {
        const allowed = REQUIRED_DIMENSIONS[String(alarm.namespace)] ?? [];
        expect([alarm.name, allowed]).toEqual([alarm.name, expect.arrayContaining([alarm.dimensions])]);
      }
    });

    it('every alarm notifies the topic on alarm and on recovery', () => {
      for (const alarm of [...alarms(), ...alarms(s.webhook)]) {
        expect(alarm.alarmActions).toEqual([TOPIC_ARN]);
        expect(alarm.okActions).toEqual([TOPIC_ARN]);
      }
    });

    it('every alarm treats missing data as fine (no traffic is not an incident) and has a description', () => {
      for (const alarm of [...alarms(), ...alarms(s.webhook)]) {
        expect(alarm.treatMissingData).toBe('notBreaching');
        expect(alarm.alarmDescription).toEqual(expect.any(String));
      }
    });
  });

  describe('dashboard', () => {
    const widgets = (synth = s.dev): MetricWidget[] => JSON.parse(inputs(synth, TYPES.dashboard).dashboardBody).widgets;
    const rows = (synth = s.dev) => widgets(synth).flatMap((w) => w.properties.metrics.map(parseRow));

    it('is named per environment and its body parses', () => {
      expect(inputs(s.dev, TYPES.dashboard).dashboardName).toBe('tracking-api-dev');
      expect(widgets().length).toBeGreaterThan(0);
      for (const w of widgets()) expect(w.properties.region).toBe('us-west-2');
      for (const w of widgets(s.variant)) expect(w.properties.region).toBe('eu-central-1');
    });

    it("every metric carries the full dimension set of its namespace, naming this stack's resources", () => {
      for (const row of [...rows(), ...rows(s.webhook)]) {
        expect(Object.keys(REQUIRED_DIMENSIONS)).toContain(row.namespace);
        expect(REQUIRED_DIMENSIONS[row.namespace]).toContainEqual(row.dimensions);
      }
    });

    it('covers the API, both functions, the table, the index and both queues', () => {
      const seen = rows().map((r) => JSON.stringify(r.dimensions));
      for (const dimensions of [API, FUNCTION, CONSUMER, TABLE, INDEX, QUEUE, FUNCTION_DLQ, FAILURE_QUEUE])
        expect(seen).toContain(JSON.stringify(dimensions));
    });

    it('covers the webhook rule target and dead-letter queue with a webhook, not without', () => {
      const seen = (synth: Synths['dev']) => rows(synth).map((r) => JSON.stringify(r.dimensions));
      for (const dimensions of [WEBHOOK_RULE, WEBHOOK_QUEUE]) {
        expect(seen(s.webhook)).toContain(JSON.stringify(dimensions));
        expect(seen(s.dev)).not.toContain(JSON.stringify(dimensions));
      }
    });

    it('charts every custom metric once, in its namespace, with the service of the function that emits it', () => {
      const custom = rows().filter((r) => r.namespace === OBSERVABILITY.metricsNamespace);
      expect(custom.map((r) => r.name).sort()).toEqual(Object.values(METRICS).sort());
      for (const row of custom) {
        expect(Object.keys(row.dimensions).sort()).toEqual([...METRIC_DIMENSIONS].sort());
        const emitter = (CONSUMER_METRICS as readonly string[]).includes(row.name)
          ? CONSUMER_METRIC_DIMENSIONS
          : API_METRICS;
        expect([row.name, row.dimensions]).toEqual([row.name, emitter]);
      }
    });
  });
}
