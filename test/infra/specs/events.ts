/**
 * Status-change events: the stack's bus, what the consumer may do with it (put events on THIS bus,
 * read the flags), and the optional webhook (connection, API destination, rule, target, its role
 * and dead-letter queue), which exists only with tap:webhookUrl; and the alarms that watch them.
 */
import * as pulumi from '@pulumi/pulumi';
import { FUNCTION_ENV, METRICS, OBSERVABILITY, STATUS_EVENT } from '../../../lambda/contract';
import { resolveStackArgs } from '../../../lib/config';
import { TapStack } from '../../../lib/tap-stack';
import { synthesize, type SynthResult } from '../../../scripts/synth';
import { TYPES, inputs, ofType, only, type Inputs } from '../helpers';
import { WEBHOOK_CONFIG, WEBHOOK_SECRET, type Synths } from './synths';

const AT = 'us-west-2:123456789012';
const BUS = 'tracking-events-dev';
const BUS_ARN = `arn:aws:events:${AT}:event-bus/${BUS}`;
const FLAGS_ARN = `arn:aws:ssm:${AT}:parameter/logistics/features/dev/flags`;
const RULE = 'tracking-status-changed-dev';
const RULE_ARN = `arn:aws:events:${AT}:rule/${BUS}/${RULE}`;
const DLQ = 'tracking-webhook-failures-dev';
const DLQ_ARN = `arn:aws:sqs:${AT}:${DLQ}`;
const ROLE = 'tracking-webhook-invoke-dev';
const TAGS = { Environment: 'dev', Project: 'tap', ManagedBy: 'pulumi', Team: 'logistics' };
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Every resource type the webhook adds, and the logical names of its resources. */
const WEBHOOK_TYPES = [TYPES.eventConnection, TYPES.eventApiDestination, TYPES.eventRule, TYPES.eventTarget];
const WEBHOOK_RESOURCES = [
  'tap-webhook-connection',
  'tap-webhook-dead-letter-queue',
  'tap-webhook-dead-letter-queue-policy',
  'tap-webhook-destination',
  'tap-webhook-role',
  'tap-webhook-role-policy',
  'tap-webhook-rule',
  'tap-webhook-target',
];
const WEBHOOK_ALARMS = ['webhook-failed-invocations', 'webhook-dead-letter-failures', 'webhook-dead-letters'];

const statements = (synth: SynthResult, policy: string) =>
  JSON.parse(inputs(synth, TYPES.rolePolicy, policy).policy).Statement as Inputs[];
const bySid = (synth: SynthResult, policy: string) =>
  Object.fromEntries(statements(synth, policy).map((st) => [st.Sid, st]));
const consumerEnv = (synth: SynthResult) =>
  inputs(synth, TYPES.function, 'tap-consumer-function').environment.variables as Record<string, string>;
const alarm = (synth: SynthResult, key: string) => inputs(synth, TYPES.alarm, `tap-${key}-alarm`);
const dashboardRows = (synth: SynthResult): string[][] =>
  JSON.parse(inputs(synth, TYPES.dashboard).dashboardBody).widgets.flatMap(
    (w: { properties: { metrics: (string | object)[][] } }) =>
      w.properties.metrics.map((row) => row.filter((x): x is string => typeof x === 'string')),
  );

/** EventBridge's matching for the subset the rule uses: every key's value is one of the listed literals. */
const matches = (pattern: Record<string, string[]>, event: Record<string, unknown>) =>
  Object.entries(pattern).every(([key, values]) => values.includes(event[key] as string));

export function eventsSpec(s: Synths): void {
  describe('event bus', () => {
    it('is one custom bus per environment, named tracking-events-<env>, tagged, encrypted by EventBridge', () => {
      const [bus, ...others] = ofType(s.dev, TYPES.eventBus);
      expect(others).toEqual([]);
      expect(bus.name).toBe('tap-event-bus');
      expect(bus.inputs).toEqual({
        name: BUS,
        description: `Shipment status changes (source ${STATUS_EVENT.source}, detail-type "${STATUS_EVENT.detailType}") from the tracking projection`,
        tags: TAGS,
      });
      // No customer managed key (the eventbridge-cmk waiver), no bus dead-letter queue (that is for CMK errors).
      expect(bus.inputs.kmsKeyIdentifier).toBeUndefined();
      expect(inputs(s.pr7, TYPES.eventBus).name).toBe('tracking-events-pr7');
      expect(inputs(s.variant, TYPES.eventBus)).toMatchObject({
        name: 'tracking-events-qa1',
        tags: { Environment: 'qa1', Project: 'tap', ManagedBy: 'pulumi', CostCenter: '42' },
      });
    });

    it('is in the stack outputs, by name and ARN', () => {
      expect([s.dev.outputs.event_bus_name, s.dev.outputs.event_bus_arn]).toEqual([BUS, BUS_ARN]);
      expect([s.variant.outputs.event_bus_name, s.variant.outputs.event_bus_arn]).toEqual([
        'tracking-events-qa1',
        'arn:aws:events:eu-central-1:123456789012:event-bus/tracking-events-qa1',
      ]);
    });

    it("is the bus the consumer's environment names, with the flags parameter it reads; the API function gets neither bus nor events", () => {
      expect(consumerEnv(s.dev)).toMatchObject({
        [FUNCTION_ENV.eventBusName]: BUS,
        [FUNCTION_ENV.flagsParameter]: '/logistics/features/dev/flags',
      });
      expect(consumerEnv(s.pr7)[FUNCTION_ENV.eventBusName]).toBe('tracking-events-pr7');
      const api = inputs(s.dev, TYPES.function, 'tap-api-function').environment.variables;
      expect(api[FUNCTION_ENV.eventBusName]).toBeUndefined();
      const apiActions = statements(s.dev, 'tap-api-function-policy').flatMap((st) => [st.Action].flat());
      expect(apiActions.filter((a: string) => a.startsWith('events:'))).toEqual([]);
    });
  });

  describe("the consumer's grants", () => {
    it('puts events on THIS bus only, and reads only the flags parameter, with GetParameter only', () => {
      const sids = bySid(s.dev, 'tap-consumer-function-policy');
      expect(sids.StatusEvents).toEqual({
        Sid: 'StatusEvents',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: BUS_ARN,
      });
      expect(sids.FeatureFlags).toEqual({
        Sid: 'FeatureFlags',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: FLAGS_ARN,
      });
      // The very bus the stack declares and the environment names, in each environment.
      expect(sids.StatusEvents.Resource).toBe(s.dev.outputs.event_bus_arn);
      expect(bySid(s.pr7, 'tap-consumer-function-policy').StatusEvents.Resource).toBe(
        `arn:aws:events:${AT}:event-bus/tracking-events-pr7`,
      );
      expect(bySid(s.variant, 'tap-consumer-function-policy')).toMatchObject({
        StatusEvents: { Resource: 'arn:aws:events:eu-central-1:123456789012:event-bus/tracking-events-qa1' },
        FeatureFlags: { Resource: 'arn:aws:ssm:eu-central-1:123456789012:parameter/logistics/features/qa1/flags' },
      });
    });

    it('are the same with a webhook: the webhook is EventBridge delivering, not the consumer', () => {
      expect(statements(s.webhook, 'tap-consumer-function-policy')).toEqual(
        statements(s.dev, 'tap-consumer-function-policy'),
      );
    });
  });

  describe('without a webhook (tap:webhookUrl empty)', () => {
    it('has no connection, API destination, rule, target, dead-letter queue or webhook role', () => {
      for (const synth of [s.dev, s.pr7]) {
        for (const type of WEBHOOK_TYPES) expect([type, ofType(synth, type)]).toEqual([type, []]);
        expect(synth.resources.filter((r) => r.name.includes('webhook'))).toEqual([]);
        expect(ofType(synth, TYPES.queue).map((q) => q.inputs.name)).not.toContain(DLQ);
        expect(ofType(synth, TYPES.role).map((r) => r.inputs.name)).not.toContain(ROLE);
      }
    });

    it('has no webhook alarm and no EventBridge rule metric on the dashboard', () => {
      const keys = ofType(s.dev, TYPES.alarm).map((a) => a.name);
      for (const key of WEBHOOK_ALARMS) expect(keys).not.toContain(`tap-${key}-alarm`);
      expect(dashboardRows(s.dev).filter((row) => row[0] === 'AWS/Events')).toEqual([]);
    });

    it('adds exactly these resources and alarms with a webhook', () => {
      const key = (r: { type: string; name: string }) => `${r.type} ${r.name}`;
      const devKeys = new Set(s.dev.resources.map(key));
      const added = s.webhook.resources.filter((r) => !devKeys.has(key(r))).map((r) => r.name);
      expect(added.sort()).toEqual([...WEBHOOK_RESOURCES, ...WEBHOOK_ALARMS.map((k) => `tap-${k}-alarm`)].sort());
      expect(s.webhook.resources.length - s.dev.resources.length).toBe(added.length);
    });
  });

  describe('with a webhook', () => {
    it('the connection authenticates with an API key: the configured header, the configured secret', () => {
      const connection = inputs(s.webhook, TYPES.eventConnection);
      expect(connection).toEqual({
        name: 'tracking-webhook-dev',
        description: 'API key for the status-change webhook, sent in the X-Webhook-Secret header',
        authorizationType: 'API_KEY',
        authParameters: { apiKey: { key: 'X-Webhook-Secret', value: WEBHOOK_SECRET } },
      });
      // The synth renders the secret's value, so a review can check it reached the connection.
      expect(connection.authParameters.apiKey.value).toBe(WEBHOOK_CONFIG['tap:webhookSecret']);
      const variant = inputs(s.variant, TYPES.eventConnection);
      expect(variant.authParameters.apiKey).toEqual({ key: 'X-Partner-Key', value: 'variant-secret' });
      expect(variant.name).toBe('tracking-webhook-qa1');
    });

    it('the API destination POSTs to the configured URL through that connection, at most 20 calls a second', () => {
      const connectionArn = expect.stringMatching(
        new RegExp(`^arn:aws:events:${AT}:connection/tracking-webhook-dev/${UUID}$`),
      );
      expect(inputs(s.webhook, TYPES.eventApiDestination)).toEqual({
        name: 'tracking-webhook-dev',
        description: 'The status-change webhook: POST of each status-change event detail',
        invocationEndpoint: WEBHOOK_CONFIG['tap:webhookUrl'],
        httpMethod: 'POST',
        connectionArn,
        invocationRateLimitPerSecond: 20,
      });
      expect(inputs(s.variant, TYPES.eventApiDestination).invocationEndpoint).toBe(
        'https://partner.example.org/hooks/shipments',
      );
    });

    it("the rule listens on the stack's bus for exactly the contract's status-change events", () => {
      const rule = inputs(s.webhook, TYPES.eventRule);
      expect(rule).toEqual({
        name: RULE,
        description: 'Status-change events of the tracking projection, to the webhook',
        eventBusName: BUS,
        eventPattern: expect.any(String),
        tags: TAGS,
      });
      const pattern = JSON.parse(rule.eventPattern);
      expect(pattern).toEqual({ source: [STATUS_EVENT.source], 'detail-type': [STATUS_EVENT.detailType] });
      const event = { source: STATUS_EVENT.source, 'detail-type': STATUS_EVENT.detailType, detail: {} };
      expect(matches(pattern, event)).toBe(true);
      expect(matches(pattern, { ...event, source: 'aws.dynamodb' })).toBe(false);
      expect(matches(pattern, { ...event, 'detail-type': 'Shipment Created' })).toBe(false);
      // A rule on a custom bus is `<bus>/<rule>`.
      expect(only(s.webhook, TYPES.eventRule).id).toBe(`${BUS}/${RULE}`);
    });

    it("the target POSTs the event's detail to the destination, with its own role, 24 h of retries, then the DLQ", () => {
      const rolePolicy = inputs(s.webhook, TYPES.rolePolicy, 'tap-webhook-role-policy');
      const target = only(s.webhook, TYPES.eventTarget);
      expect(target.inputs).toEqual({
        rule: RULE,
        eventBusName: BUS,
        targetId: 'webhook',
        arn: expect.stringMatching(new RegExp(`^arn:aws:events:${AT}:api-destination/tracking-webhook-dev/${UUID}$`)),
        roleArn: `arn:aws:iam::123456789012:role/${ROLE}`,
        inputPath: '$.detail',
        // EventBridge's maximum (RetryPolicy: 0-185 attempts, 60-86400 s).
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86400 },
        deadLetterConfig: { arn: DLQ_ARN },
      });
      // The role may invoke exactly the destination the target names.
      expect(JSON.parse(rolePolicy.policy).Statement[0].Resource).toBe(target.inputs.arn);
      // Deliveries start once the role may invoke and the queue admits EventBridge.
      expect(target.dependencies).toEqual(['tap-webhook-dead-letter-queue-policy', 'tap-webhook-role-policy']);
      expect(target.id).toBe(`${BUS}/${RULE}/webhook`);
    });

    it('the role is assumable by EventBridge only and may invoke that one destination, nothing else', () => {
      const role = inputs(s.webhook, TYPES.role, 'tap-webhook-role');
      expect(role.name).toBe(ROLE);
      expect(JSON.parse(role.assumeRolePolicy)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
      expect(role.managedPolicyArns).toBeUndefined();
      expect(role.inlinePolicies).toBeUndefined();
      const own = (type: string) => ofType(s.webhook, type).filter((p) => p.inputs.role === ROLE);
      expect(own(TYPES.rolePolicy).map((p) => [p.name, p.inputs.name])).toEqual([['tap-webhook-role-policy', ROLE]]);
      expect(own(TYPES.rolePolicyAttachment)).toEqual([]);
      expect(JSON.parse(String(own(TYPES.rolePolicy)[0].inputs.policy))).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'InvokeWebhookDestination',
            Effect: 'Allow',
            Action: 'events:InvokeApiDestination',
            Resource: inputs(s.webhook, TYPES.eventTarget).arn,
          },
        ],
      });
    });

    it('the dead-letter queue is encrypted, kept 14 days, TLS-only, and writable by EventBridge for this rule only', () => {
      const queue = inputs(s.webhook, TYPES.queue, 'tap-webhook-dead-letter-queue');
      expect(queue).toEqual({
        name: DLQ,
        messageRetentionSeconds: 14 * 24 * 3600,
        visibilityTimeoutSeconds: 300,
        sqsManagedSseEnabled: true,
        tags: TAGS,
      });
      const policy = inputs(s.webhook, TYPES.queuePolicy, 'tap-webhook-dead-letter-queue-policy');
      expect(policy.queueUrl).toBe(`https://sqs.us-west-2.amazonaws.com/123456789012/${DLQ}`);
      expect(JSON.parse(policy.policy)).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: DLQ_ARN,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
          {
            Sid: 'EventBridgeDeadLetters',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: DLQ_ARN,
            Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } },
          },
        ],
      });
    });

    it('the alarms watch permanent delivery failures, dead letters lost, and dead letters waiting, with full dimension sets', () => {
      const summary = (a: Inputs) => ({
        name: a.name,
        metric: `${a.namespace} ${a.metricName}`,
        dimensions: a.dimensions,
        stat: a.statistic,
        when: `${a.comparisonOperator} ${a.threshold}`,
        window: `${a.evaluationPeriods} x ${a.period}s`,
        missing: a.treatMissingData,
      });
      const rule = { EventBusName: BUS, RuleName: RULE };
      expect(WEBHOOK_ALARMS.map((key) => summary(alarm(s.webhook, key)))).toEqual([
        {
          name: 'tracking-webhook-failed-invocations-dev',
          metric: 'AWS/Events FailedInvocations',
          dimensions: rule,
          stat: 'Sum',
          when: 'GreaterThanOrEqualToThreshold 1',
          window: '1 x 300s',
          missing: 'notBreaching',
        },
        {
          name: 'tracking-webhook-dead-letter-failures-dev',
          metric: 'AWS/Events InvocationsFailedToBeSentToDlq',
          dimensions: rule,
          stat: 'Sum',
          when: 'GreaterThanOrEqualToThreshold 1',
          window: '1 x 300s',
          missing: 'notBreaching',
        },
        {
          name: 'tracking-webhook-dead-letters-dev',
          metric: 'AWS/SQS ApproximateNumberOfMessagesVisible',
          dimensions: { QueueName: DLQ },
          stat: 'Maximum',
          when: 'GreaterThanThreshold 0',
          window: '1 x 300s',
          missing: 'notBreaching',
        },
      ]);
      expect(alarm(s.webhook, 'webhook-failed-invocations').alarmDescription).toMatch(/failed permanently/);
      expect(alarm(s.webhook, 'webhook-failed-invocations').alarmDescription).toMatch(/dead-letter queue/);
      expect(alarm(s.webhook, 'webhook-dead-letter-failures').alarmDescription).toMatch(/lost/);
      expect(alarm(s.webhook, 'webhook-dead-letters').alarmDescription).toMatch(/dead-letter queue/);
    });

    it('the dashboard charts the rule target (EventBusName and RuleName) and the dead-letter queue', () => {
      const rows = dashboardRows(s.webhook);
      for (const metric of [
        'Invocations',
        'FailedInvocations',
        'InvocationsSentToDlq',
        'InvocationsFailedToBeSentToDlq',
      ])
        expect(rows).toContainEqual(['AWS/Events', metric, 'EventBusName', BUS, 'RuleName', RULE]);
      expect(rows).toContainEqual(['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', DLQ]);
      expect(rows).toContainEqual(['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', DLQ]);
    });

    it('keeps the secret a secret in the state, even when the program passes it in the clear', async () => {
      const result = await synthesize({
        stack: 'dev',
        env: {},
        config: { 'tap:webhookUrl': 'https://hooks.example.com/x' },
        program: () => {
          const args = resolveStackArgs((key) => new pulumi.Config('tap').get(key), {});
          const stack = new TapStack('tap', { ...args, webhookSecret: 'in-the-clear' });
          return { secret: pulumi.output(pulumi.isSecret(stack.webhook!.connection.authParameters)) };
        },
      });
      expect(result.outputs).toEqual({ secret: true });
      expect(inputs(result, TYPES.eventConnection).authParameters.apiKey.value).toBe('in-the-clear');
    });

    it('refuses a webhook URL without its secret (tap:webhookSecret)', async () => {
      await expect(
        synthesize({ stack: 'dev', env: {}, config: { 'tap:webhookUrl': WEBHOOK_CONFIG['tap:webhookUrl'] } }),
      ).rejects.toThrow(/tap:webhookSecret/);
    });
  });

  describe('alarms on the events the consumer puts', () => {
    it('fire on any event EventBridge refused (StatusEventsFailed, the consumer dimensions), with or without a webhook', () => {
      for (const [synth, environment] of [
        [s.dev, 'dev'],
        [s.webhook, 'dev'],
        [s.variant, 'qa1'],
      ] as const) {
        const a = alarm(synth, 'consumer-events-failed');
        expect({
          name: a.name,
          metric: `${a.namespace} ${a.metricName}`,
          dimensions: a.dimensions,
          stat: a.statistic,
          when: `${a.comparisonOperator} ${a.threshold}`,
        }).toEqual({
          name: `tracking-consumer-events-failed-${environment}`,
          metric: `${OBSERVABILITY.metricsNamespace} ${METRICS.eventsFailed}`,
          dimensions: { service: OBSERVABILITY.consumerServiceName, environment },
          stat: 'Sum',
          when: 'GreaterThanOrEqualToThreshold 1',
        });
      }
      expect(alarm(s.dev, 'consumer-events-failed').alarmDescription).toMatch(/StatusEventsFailed/);
      expect(alarm(s.dev, 'consumer-events-failed').alarmDescription).toMatch(/retried/);
    });

    it('the dashboard charts the events put and refused, under the consumer service', () => {
      for (const metric of [METRICS.eventsPut, METRICS.eventsFailed])
        expect(dashboardRows(s.dev)).toContainEqual([
          OBSERVABILITY.metricsNamespace,
          metric,
          'service',
          OBSERVABILITY.consumerServiceName,
          'environment',
          'dev',
        ]);
    });
  });
}
