/**
 * The stream consumer (the projection of each shipment's current state): its function, role and
 * least-privilege policy, the event source mapping from the table's stream, its failure queue, and
 * the alarms and dashboard widgets that watch it.
 */
import {
  FUNCTION_ENV,
  METRICS,
  METRIC_DIMENSIONS,
  OBSERVABILITY,
  STREAM_FILTER_PATTERN,
} from '../../../lambda/contract';
import { buildBundle } from '../../../lib/bundle';
import { CONSUMER_METRICS } from '../../../lambda/contract';
import { FUNCTIONS } from '../../../lib/functions';
import { TYPES, inputs, ofType, only, type Inputs } from '../helpers';
import type { Synths } from './synths';

const CONSUMER = 'tap-consumer-function';
const arns = (region: string, suffix: string) => {
  const at = `${region}:123456789012`;
  const table = `arn:aws:dynamodb:${at}:table/tracking-updates-${suffix}`;
  return {
    table,
    stream: `${table}/stream/2024-01-01T00:00:00.000`,
    failureQueue: `arn:aws:sqs:${at}:tracking-projection-failures-${suffix}`,
    parkedQueue: `arn:aws:sqs:${at}:tracking-parked-updates-${suffix}`,
    logGroup: `arn:aws:logs:${at}:log-group:/aws/lambda/tracking-projection-${suffix}`,
    flags: `arn:aws:ssm:${at}:parameter/logistics/features/${suffix}/flags`,
    bus: `arn:aws:events:${at}:event-bus/tracking-events-${suffix}`,
  };
};
const DEV = arns('us-west-2', 'dev');

const consumer = (synth: Synths['dev']) => inputs(synth, TYPES.function, CONSUMER);
const mapping = (synth: Synths['dev']) => inputs(synth, TYPES.eventSourceMapping);
const statements = (synth: Synths['dev']) =>
  JSON.parse(inputs(synth, TYPES.rolePolicy, `${CONSUMER}-policy`).policy).Statement as Inputs[];
const withoutTags = ({ tags: _tags, ...rest }: Inputs) => rest;

/**
 * Lambda's event filtering for the subset of the pattern syntax the contract's filter uses: a key
 * maps to a nested pattern or to a list of literal values and `anything-but` matchers. Anything else
 * throws, so a new operator in the contract must be taught here before the test can pass.
 */
function matches(pattern: Inputs, event: Inputs): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event?.[key];
    if (!Array.isArray(rule)) return typeof value === 'object' && value !== null && matches(rule, value);
    return rule.some((matcher: unknown) => {
      if (typeof matcher !== 'object' || matcher === null) return value === matcher;
      const [operator, operand] = Object.entries(matcher)[0];
      if (operator !== 'anything-but') throw new Error(`filter operator ${operator} is not modelled by this test`);
      return value !== undefined && !(operand as unknown[]).includes(value);
    });
  });
}

/** A DynamoDB stream record as Lambda filters it (only what the pattern can look at). */
const record = (eventName: string, timestamp: number) => ({
  eventName,
  eventSource: 'aws:dynamodb',
  dynamodb: {
    Keys: { tracking_id: { S: 'PKG-1' }, timestamp: { N: String(timestamp) } },
    StreamViewType: 'NEW_AND_OLD_IMAGES',
  },
});

export function consumerSpec(s: Synths): void {
  describe('function', () => {
    it('is the second function, built from its own description, on nodejs22.x / arm64', () => {
      expect(ofType(s.dev, TYPES.function).map((f) => f.name)).toEqual(['tap-api-function', CONSUMER]);
      const fn = consumer(s.dev);
      expect(fn.name).toBe('tracking-projection-dev');
      expect(fn.description).toBe(FUNCTIONS.consumer.description);
      expect(fn.runtime).toBe('nodejs22.x');
      expect(fn.architectures).toEqual(['arm64']);
      expect(fn.handler).toBe('index.handler');
    });

    it('ships the esbuild bundle of lambda/consumer.ts, not the API handler', () => {
      const bundle = buildBundle(FUNCTIONS.consumer.entry);
      expect(FUNCTIONS.consumer.entry).toBe('lambda/consumer.ts');
      expect(consumer(s.dev).code).toEqual({ 'index.mjs': { sha256: bundle.sha256, bytes: bundle.bytes } });
      expect(consumer(s.dev).code).not.toEqual(inputs(s.dev, TYPES.function, 'tap-api-function').code);
    });

    it('takes its memory from config, times out after 60 s (one batch), reserves no concurrency', () => {
      const dev = consumer(s.dev);
      expect([dev.memorySize, dev.timeout, dev.reservedConcurrentExecutions]).toEqual([512, 60, -1]);
      const variant = consumer(s.variant);
      expect([variant.memorySize, variant.timeout, variant.reservedConcurrentExecutions]).toEqual([1024, 60, -1]);
    });

    it('traces with X-Ray and logs JSON into its own log group, with the configured retention', () => {
      const fn = consumer(s.dev);
      expect(fn.tracingConfig).toEqual({ mode: 'Active' });
      const logGroup = inputs(s.dev, TYPES.logGroup, `${CONSUMER}-log-group`);
      expect(logGroup.name).toBe('/aws/lambda/tracking-projection-dev');
      expect(fn.loggingConfig).toEqual({
        logFormat: 'JSON',
        logGroup: logGroup.name,
        applicationLogLevel: 'INFO',
        systemLogLevel: 'WARN',
      });
      expect(logGroup.retentionInDays).toBe(7);
      expect(inputs(s.variant, TYPES.logGroup, `${CONSUMER}-log-group`).retentionInDays).toBe(30);
    });

    it('has no dead-letter queue: nothing invokes it asynchronously (failed records go to the mapping destination)', () => {
      expect(consumer(s.dev).deadLetterConfig).toBeUndefined();
      const invokePermissions = ofType(s.dev, TYPES.permission).filter(
        (p) => p.inputs.function === 'tracking-projection-dev',
      );
      expect(invokePermissions).toEqual([]);
    });

    it('gets exactly the table, the environment, the shard count, the flags and the bus, plus its Powertools identity', () => {
      const expected = (suffix: string, shards: string) => ({
        [FUNCTION_ENV.tableName]: `tracking-updates-${suffix}`,
        [FUNCTION_ENV.environment]: suffix,
        [FUNCTION_ENV.statusShardCount]: shards,
        [FUNCTION_ENV.flagsParameter]: `/logistics/features/${suffix}/flags`,
        [FUNCTION_ENV.eventBusName]: `tracking-events-${suffix}`,
        POWERTOOLS_SERVICE_NAME: 'tracking-projection',
        POWERTOOLS_METRICS_NAMESPACE: OBSERVABILITY.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      expect(consumer(s.dev).environment.variables).toEqual(expected('dev', '8'));
      expect(consumer(s.variant).environment.variables).toEqual(expected('qa1', '16'));
      expect(OBSERVABILITY.consumerServiceName).toBe('tracking-projection');
    });

    it('runs as its own role, created after its policy', () => {
      const fn = only(s.dev, TYPES.function, CONSUMER);
      expect(fn.inputs.role).toBe('arn:aws:iam::123456789012:role/tracking-projection-role-dev');
      expect(fn.dependencies).toEqual(['tap-consumer-function-policy']);
    });
  });

  describe('role', () => {
    it('can be assumed by Lambda only, and has one inline policy and no managed policies', () => {
      const role = inputs(s.dev, TYPES.role, `${CONSUMER}-role`);
      expect(role.name).toBe('tracking-projection-role-dev');
      expect(JSON.parse(role.assumeRolePolicy)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      expect(role.managedPolicyArns).toBeUndefined();
      expect(role.inlinePolicies).toBeUndefined();
      const own = (type: string) => ofType(s.dev, type).filter((p) => p.inputs.role === role.name);
      expect(own(TYPES.rolePolicy).map((p) => [p.name, p.inputs.name])).toEqual([
        [`${CONSUMER}-policy`, 'tracking-projection-policy-dev'],
      ]);
      expect(own(TYPES.rolePolicyAttachment)).toEqual([]);
    });

    it('allows exactly: reading THIS table stream, UpdateItem on the table, sending to its failure queue, reading the flags, putting events on THIS bus, its logs, X-Ray', () => {
      expect(statements(s.dev)).toEqual([
        {
          Sid: 'TableStream',
          Effect: 'Allow',
          Action: [
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
            'dynamodb:ListStreams',
          ],
          Resource: DEV.stream,
        },
        // The consumer's only call: a conditional update of a state record. No read, no put, no index.
        { Sid: 'StateRecords', Effect: 'Allow', Action: 'dynamodb:UpdateItem', Resource: DEV.table },
        // The mapping delivers its on-failure records with the function's role.
        { Sid: 'StreamFailureQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: DEV.failureQueue },
        // real_time_notifications, read with GetParameter (a String: nothing to decrypt).
        { Sid: 'FeatureFlags', Effect: 'Allow', Action: 'ssm:GetParameter', Resource: DEV.flags },
        // Status-change events, on the stack's own bus only.
        { Sid: 'StatusEvents', Effect: 'Allow', Action: 'events:PutEvents', Resource: DEV.bus },
        {
          Sid: 'OwnLogGroup',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `${DEV.logGroup}:*`,
        },
        {
          Sid: 'XRayTracing',
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        },
      ]);
    });

    it('names the very stream and queue the mapping uses, in its own environment', () => {
      const byId = (synth: Synths['dev']) => Object.fromEntries(statements(synth).map((st) => [st.Sid, st.Resource]));
      expect(byId(s.dev).TableStream).toBe(mapping(s.dev).eventSourceArn);
      expect(byId(s.dev).StreamFailureQueue).toBe(mapping(s.dev).destinationConfig.onFailure.destinationArn);
      const pr7 = arns('us-west-2', 'pr7');
      expect(byId(s.pr7)).toMatchObject({
        TableStream: pr7.stream,
        StateRecords: pr7.table,
        StreamFailureQueue: pr7.failureQueue,
        FeatureFlags: pr7.flags,
        StatusEvents: pr7.bus,
      });
      expect(byId(s.variant)).toMatchObject({ TableStream: arns('eu-central-1', 'qa1').stream });
    });

    it('has no wildcard action, no negated or conditional grant; "*" only for X-Ray', () => {
      for (const st of statements(s.dev)) {
        for (const action of [st.Action].flat()) expect(action).not.toContain('*');
        expect([st.Sid, st.NotAction, st.NotResource, st.Condition]).toEqual([st.Sid, undefined, undefined, undefined]);
        if (st.Resource === '*') expect(st.Sid).toBe('XRayTracing');
      }
    });
  });

  describe('event source mapping', () => {
    it('is the only one, from the table stream to the consumer, waiting for the role policy it is validated against', () => {
      const [only_] = ofType(s.dev, TYPES.eventSourceMapping);
      expect(ofType(s.dev, TYPES.eventSourceMapping)).toHaveLength(1);
      expect(only_.name).toBe('tap-consumer-stream-mapping');
      expect(only_.dependencies).toEqual(['tap-consumer-function-policy']);
      expect(only_.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    });

    it('has exactly these settings, the stream ones from config', () => {
      const expected = (at: ReturnType<typeof arns>, suffix: string, stream: number[]) => ({
        eventSourceArn: at.stream,
        functionName: `tracking-projection-${suffix}`,
        startingPosition: 'TRIM_HORIZON',
        batchSize: stream[0],
        maximumBatchingWindowInSeconds: stream[1],
        maximumRetryAttempts: stream[2],
        maximumRecordAgeInSeconds: stream[3],
        functionResponseTypes: ['ReportBatchItemFailures'],
        bisectBatchOnFunctionError: true,
        destinationConfig: { onFailure: { destinationArn: at.failureQueue } },
        filterCriteria: { filters: [{ pattern: JSON.stringify(STREAM_FILTER_PATTERN) }] },
      });
      // Pulumi.yaml defaults: tap:streamBatchSize 100, streamBatchWindowSeconds 0, streamMaxRetries 5, streamMaxRecordAgeSeconds 86400.
      expect(withoutTags(mapping(s.dev))).toEqual(expected(DEV, 'dev', [100, 0, 5, 86400]));
      expect(withoutTags(mapping(s.variant))).toEqual(expected(arns('eu-central-1', 'qa1'), 'qa1', [250, 5, 2, 3600]));
    });

    it("filters with the contract's pattern: new history items only, never the consumer's own state records", () => {
      const filters = mapping(s.dev).filterCriteria.filters;
      expect(filters).toHaveLength(1);
      const pattern = JSON.parse(filters[0].pattern);
      expect(pattern).toEqual(STREAM_FILTER_PATTERN);
      expect(filters[0].pattern.length).toBeLessThanOrEqual(4096);
      expect(matches(pattern, record('INSERT', 1764233400123))).toBe(true);
      expect(matches(pattern, record('INSERT', 0))).toBe(false);
      expect(matches(pattern, record('MODIFY', 0))).toBe(false);
      expect(matches(pattern, record('MODIFY', 1764233400123))).toBe(false);
      expect(matches(pattern, record('REMOVE', 1764233400123))).toBe(false);
    });

    it('sends what it gives up on to the failure queue: encrypted, TLS-only, 14 days, not the parked-updates queue', () => {
      const destination = mapping(s.dev).destinationConfig.onFailure.destinationArn;
      expect(destination).toBe(DEV.failureQueue);
      expect(destination).not.toBe(DEV.parkedQueue);
      const queue = ofType(s.dev, TYPES.queue).find((q) => destination.endsWith(`:${String(q.inputs.name)}`))!;
      expect(queue.name).toBe('tap-stream-failure-queue');
      expect(queue.inputs).toMatchObject({ sqsManagedSseEnabled: true, messageRetentionSeconds: 14 * 24 * 3600 });
      const policy = ofType(s.dev, TYPES.queuePolicy).find((p) =>
        String(p.inputs.queueUrl).endsWith(`/${String(queue.inputs.name)}`),
      )!;
      expect(JSON.parse(String(policy.inputs.policy)).Statement).toEqual([
        expect.objectContaining({
          Effect: 'Deny',
          Principal: '*',
          Action: 'sqs:*',
          Resource: destination,
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      ]);
    });
  });

  describe('alarms and dashboard', () => {
    const alarm = (synth: Synths['dev'], key: string) => inputs(synth, TYPES.alarm, `tap-${key}-alarm`);
    const summary = (a: Inputs) => ({
      name: a.name,
      metric: `${a.namespace} ${a.metricName}`,
      dimensions: a.dimensions,
      stat: a.statistic ?? a.extendedStatistic,
      when: `${a.comparisonOperator} ${a.threshold}`,
      window: `${a.datapointsToAlarm ?? a.evaluationPeriods}/${a.evaluationPeriods} x ${a.period}s`,
    });

    it('watch failed batch invocations, failed records, the lag and the failure queue, with full dimension sets', () => {
      expect(
        ['consumer-errors', 'consumer-projection-failed', 'consumer-iterator-age', 'stream-failures'].map((key) =>
          summary(alarm(s.dev, key)),
        ),
      ).toEqual([
        {
          name: 'tracking-consumer-errors-dev',
          metric: 'AWS/Lambda Errors',
          dimensions: { FunctionName: 'tracking-projection-dev' },
          stat: 'Sum',
          when: 'GreaterThanOrEqualToThreshold 1',
          window: '1/1 x 300s',
        },
        {
          name: 'tracking-consumer-projection-failed-dev',
          metric: `${OBSERVABILITY.metricsNamespace} ${METRICS.projectionFailed}`,
          dimensions: { service: 'tracking-projection', environment: 'dev' },
          stat: 'Sum',
          when: 'GreaterThanOrEqualToThreshold 1',
          window: '1/1 x 300s',
        },
        {
          name: 'tracking-consumer-iterator-age-dev',
          metric: 'AWS/Lambda IteratorAge',
          dimensions: { FunctionName: 'tracking-projection-dev' },
          stat: 'Maximum',
          when: 'GreaterThanThreshold 60000',
          window: '3/3 x 60s',
        },
        {
          name: 'tracking-stream-failures-dev',
          metric: 'AWS/SQS ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: 'tracking-projection-failures-dev' },
          stat: 'Maximum',
          when: 'GreaterThanThreshold 0',
          window: '1/1 x 300s',
        },
      ]);
      // The custom metric carries exactly the contract's dimensions, with this environment's value.
      expect(Object.keys(alarm(s.dev, 'consumer-projection-failed').dimensions).sort()).toEqual(
        [...METRIC_DIMENSIONS].sort(),
      );
      expect(alarm(s.variant, 'consumer-projection-failed').dimensions).toEqual({
        service: 'tracking-projection',
        environment: 'qa1',
      });
    });

    it('say truthfully what Errors counts: whole failed batches, not the records reported as batch item failures', () => {
      expect(alarm(s.dev, 'consumer-errors').alarmDescription).toMatch(/batch invocations/);
      expect(alarm(s.dev, 'consumer-errors').alarmDescription).toMatch(/batch item failures are not counted/);
      expect(alarm(s.dev, 'consumer-projection-failed').alarmDescription).toMatch(/batch item failures/);
    });

    it('the dashboard charts the consumer, its lag, its own metrics (its service) and the failure queue', () => {
      const rows: (string | object)[][] = JSON.parse(inputs(s.dev, TYPES.dashboard).dashboardBody).widgets.flatMap(
        (w: { properties: { metrics: (string | object)[][] } }) => w.properties.metrics,
      );
      const has = (...row: string[]) =>
        expect(rows.map((r) => r.filter((x) => typeof x === 'string'))).toContainEqual(row);
      for (const metric of ['Invocations', 'Errors', 'Throttles', 'IteratorAge'])
        has('AWS/Lambda', metric, 'FunctionName', 'tracking-projection-dev');
      has('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', 'tracking-projection-failures-dev');
      for (const metric of CONSUMER_METRICS)
        has(OBSERVABILITY.metricsNamespace, metric, 'service', 'tracking-projection', 'environment', 'dev');
      expect(CONSUMER_METRICS).toEqual([
        METRICS.stateUpdated,
        METRICS.stateUnchanged,
        METRICS.projectionFailed,
        METRICS.eventsPut,
        METRICS.eventsFailed,
      ]);
    });
  });

  it('outputs its function name and failure queue URL', () => {
    expect(s.dev.outputs.consumer_function_name).toBe('tracking-projection-dev');
    expect(s.dev.outputs.stream_failure_queue_url).toBe(
      'https://sqs.us-west-2.amazonaws.com/123456789012/tracking-projection-failures-dev',
    );
    expect(s.variant.outputs.consumer_function_name).toBe('tracking-projection-qa1');
  });
}
