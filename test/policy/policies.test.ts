/**
 * Every rule of the policy pack, offline: the compliant fixture passes, and for each rule a
 * deliberately bad resource makes exactly that rule fire. Every waiver reports, and stops
 * reporting once its control is met.
 */
import * as fs from 'fs';
import * as path from 'path';
import { buildPolicies, mandatoryRules, WAIVERS } from '../../policy/policies';
import { waiverPolicyName } from '../../policy/lib/waiver';
import { obj, resourceRule } from '../../policy/lib/kit';
import { T } from '../../policy/lib/types';
import { isJsonTemplate } from '../../policy/rules/apigateway';
import { runtimeProblem } from '../../policy/rules/lambda-runtimes';
import {
  ACCOUNT,
  API_ID,
  ARN,
  CONSUMER_ARN,
  FUNCTION_POLICY,
  functionPolicy,
  goodStack,
  patch,
  REGION,
  WEBHOOK_ARN,
  WEBHOOK_DLQ_POLICY,
  without,
  withResource,
  withStreamConsumer,
  withWebhook,
} from './fixtures';
import { describeViolations, mandatory, runPolicies, type SynthResource } from './harness';

type Inputs = Record<string, unknown>;
const rec = (value: unknown) => value as Inputs;

const POLICIES = buildPolicies();
const RULE_NAMES = mandatoryRules().map((p) => p.name);

async function firing(resources: SynthResource[], policies = POLICIES) {
  const found = mandatory(await runPolicies(policies, resources));
  return { names: [...new Set(found.map((v) => v.policy))].sort(), lines: describeViolations(found) };
}

/** The webhook fixture with its dead-letter queue's policy statements replaced. */
function webhookDlqStatements(statements: Inputs[]) {
  return patch(withWebhook(goodStack()), 'webhook-dlq-policy', (i) => {
    i.policy = JSON.stringify({ ...WEBHOOK_DLQ_POLICY, Statement: statements });
  });
}
const [DENY_INSECURE, ALLOW_EVENTBRIDGE] = WEBHOOK_DLQ_POLICY.Statement;

function withStatement(statement: Inputs) {
  return functionPolicy(goodStack(), { ...FUNCTION_POLICY, Statement: [...FUNCTION_POLICY.Statement, statement] });
}

interface BadCase {
  rule: string;
  what: string;
  stack: () => SynthResource[];
  /** Other rules the same mistake legitimately breaks. */
  also?: string[];
  /** Run without this waiver (for rules that accept a waived condition). */
  withoutWaiver?: string;
}

const BAD: BadCase[] = [
  {
    rule: 'apigateway-method-authorization',
    what: 'authorization NONE',
    stack: () => patch(goodStack(), 'track-post', (i) => (i.authorization = 'NONE')),
  },
  {
    rule: 'apigateway-method-authorization',
    what: 'CUSTOM without authorizer',
    stack: () => patch(goodStack(), 'status-get', (i) => (i.authorization = 'CUSTOM')),
  },
  {
    rule: 'apigateway-post-validation',
    what: 'POST without validator',
    stack: () => patch(goodStack(), 'track-post', (i) => delete i.requestValidatorId),
  },
  {
    rule: 'apigateway-post-validation',
    what: 'validator not validating the body',
    stack: () => patch(goodStack(), 'validator', (i) => (i.validateRequestBody = false)),
  },
  {
    rule: 'apigateway-post-validation',
    what: 'POST without model',
    stack: () => patch(goodStack(), 'track-post', (i) => delete i.requestModels),
  },
  {
    rule: 'apigateway-post-validation',
    what: 'model not in the stack',
    stack: () => without(goodStack(), 'tracking-model'),
  },
  {
    rule: 'apigateway-stage-xray',
    what: 'X-Ray off',
    stack: () => patch(goodStack(), 'stage', (i) => (i.xrayTracingEnabled = false)),
  },
  {
    rule: 'apigateway-stage-access-logs',
    what: 'no access logs',
    stack: () => patch(goodStack(), 'stage', (i) => delete i.accessLogSettings),
  },
  {
    rule: 'apigateway-stage-access-logs',
    what: 'CLF access log format',
    stack: () =>
      patch(
        goodStack(),
        'stage',
        (i) => (rec(i.accessLogSettings).format = '$context.requestId $context.identity.caller [$context.requestTime]'),
      ),
  },
  {
    rule: 'apigateway-execution-logging',
    what: 'loggingLevel OFF',
    stack: () => patch(goodStack(), 'stage-settings', (i) => (rec(i.settings).loggingLevel = 'OFF')),
  },
  {
    rule: 'apigateway-no-data-trace',
    what: 'full request/response logging',
    stack: () => patch(goodStack(), 'stage-settings', (i) => (rec(i.settings).dataTraceEnabled = true)),
  },
  {
    rule: 'apigateway-stage-throttling',
    what: 'no rate limit',
    stack: () => patch(goodStack(), 'stage-settings', (i) => delete rec(i.settings).throttlingRateLimit),
  },
  {
    rule: 'apigateway-cache-encrypted',
    what: 'unencrypted cache',
    stack: () =>
      patch(goodStack(), 'stage-settings', (i) =>
        Object.assign(rec(i.settings), { cachingEnabled: true, cacheDataEncrypted: false }),
      ),
  },
  {
    rule: 'apigateway-execution-log-retention',
    what: 'execution log group left to API Gateway',
    stack: () => without(goodStack(), 'execution-logs'),
  },
  {
    rule: 'lambda-runtime-supported',
    what: 'nodejs16.x',
    stack: () => patch(goodStack(), 'tracking-handler', (i) => (i.runtime = 'nodejs16.x')),
  },
  {
    rule: 'lambda-runtime-supported',
    what: 'nodejs20.x after 2026-04-30',
    stack: () => patch(goodStack(), 'tracking-handler', (i) => (i.runtime = 'nodejs20.x')),
  },
  {
    rule: 'lambda-tracing-active',
    what: 'PassThrough tracing',
    stack: () => patch(goodStack(), 'tracking-handler', (i) => (i.tracingConfig = { mode: 'PassThrough' })),
  },
  {
    rule: 'lambda-log-group-retention',
    what: 'log group not in the stack',
    stack: () => without(goodStack(), 'function-logs'),
  },
  {
    rule: 'lambda-log-group-retention',
    what: 'log group without retention',
    stack: () => patch(goodStack(), 'function-logs', (i) => delete i.retentionInDays),
    also: ['cloudwatch-log-group-retention'],
  },
  {
    rule: 'lambda-permission-scoped',
    what: 'no sourceArn',
    stack: () => patch(goodStack(), 'invoke-permission', (i) => delete i.sourceArn),
  },
  {
    rule: 'lambda-permission-scoped',
    what: 'principal *',
    stack: () => patch(goodStack(), 'invoke-permission', (i) => (i.principal = '*')),
  },
  {
    rule: 'lambda-permission-scoped',
    what: 'sourceArn for every API',
    stack: () =>
      patch(goodStack(), 'invoke-permission', (i) => (i.sourceArn = `arn:aws:execute-api:${REGION}:${ACCOUNT}:*/*/*`)),
  },
  {
    rule: 'lambda-reserved-concurrency',
    what: 'no reservation, waiver removed',
    stack: goodStack,
    withoutWaiver: 'lambda-reserved-concurrency',
  },
  {
    rule: 'lambda-dead-letter-queue',
    what: 'no DLQ',
    stack: () => patch(goodStack(), 'tracking-handler', (i) => delete i.deadLetterConfig),
  },
  {
    rule: 'lambda-dead-letter-queue',
    what: 'stream consumer without DLQ whose mapping has no on-failure destination',
    stack: () => patch(withStreamConsumer(goodStack()), 'consumer-mapping', (i) => delete i.destinationConfig),
  },
  {
    rule: 'lambda-dead-letter-queue',
    what: 'stream consumer without DLQ that something else may also invoke (an invoke permission)',
    stack: () =>
      withResource(withStreamConsumer(goodStack()), 'aws:lambda/permission:Permission', 'consumer-schedule', {
        action: 'lambda:InvokeFunction',
        function: 'tracking-projection-dev',
        principal: 'events.amazonaws.com',
        sourceArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/nightly-projection`,
      }),
  },
  {
    rule: 'lambda-dead-letter-queue',
    what: 'stream consumer without DLQ exposed through a function URL',
    stack: () =>
      withResource(withStreamConsumer(goodStack()), 'aws:lambda/functionUrl:FunctionUrl', 'consumer-url', {
        functionName: CONSUMER_ARN.function,
        authorizationType: 'AWS_IAM',
      }),
  },
  {
    rule: 'lambda-dead-letter-queue',
    what: 'function without DLQ next to a mapping for another function',
    stack: () =>
      patch(
        withStreamConsumer(goodStack()),
        'consumer-mapping',
        (i) => (i.functionName = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:some-other-function`),
      ),
  },
  {
    rule: 'lambda-no-secrets-in-environment',
    what: 'password in clear',
    stack: () =>
      patch(goodStack(), 'tracking-handler', (i) => (rec(rec(i.environment).variables).DB_PASSWORD = 'hunter2')),
  },
  {
    rule: 'lambda-no-secrets-in-environment',
    what: 'AWS access key',
    stack: () =>
      patch(
        goodStack(),
        'tracking-handler',
        (i) => (rec(rec(i.environment).variables).UPSTREAM = 'AKIAABCDEFGHIJKLMNOP'),
      ),
  },
  {
    rule: 'dynamodb-pitr',
    what: 'PITR off',
    stack: () => patch(goodStack(), 'tracking-table', (i) => (i.pointInTimeRecovery = { enabled: false })),
  },
  {
    rule: 'dynamodb-sse-kms',
    what: 'AWS-owned key only',
    stack: () => patch(goodStack(), 'tracking-table', (i) => delete i.serverSideEncryption),
  },
  {
    rule: 'dynamodb-billing-mode',
    what: 'billing mode implicit',
    stack: () => patch(goodStack(), 'tracking-table', (i) => delete i.billingMode),
  },
  {
    rule: 'dynamodb-billing-mode',
    what: 'PROVISIONED without auto scaling',
    stack: () =>
      patch(goodStack(), 'tracking-table', (i) =>
        Object.assign(i, { billingMode: 'PROVISIONED', readCapacity: 5, writeCapacity: 5 }),
      ),
  },
  {
    rule: 'dynamodb-deletion-protection',
    what: 'no deletion protection, waiver removed',
    stack: goodStack,
    withoutWaiver: 'dynamodb-deletion-protection',
  },
  {
    rule: 'iam-no-admin-policies',
    what: 'managed logging policy, waiver removed',
    stack: goodStack,
    withoutWaiver: 'iam-apigateway-logs-managed-policy',
  },
  {
    rule: 'sqs-encryption',
    what: 'unencrypted queue',
    stack: () => patch(goodStack(), 'tracking-dlq', (i) => (i.sqsManagedSseEnabled = false)),
  },
  { rule: 'sqs-tls-only', what: 'no queue policy', stack: () => without(goodStack(), 'tracking-dlq-policy') },
  {
    rule: 'sqs-tls-only',
    what: 'deny only with TLS (condition true)',
    stack: () =>
      patch(
        goodStack(),
        'tracking-dlq-policy',
        (i) => (i.policy = String(i.policy).replace('"aws:SecureTransport":"false"', '"aws:SecureTransport":"true"')),
      ),
  },
  {
    rule: 'sqs-tls-only',
    what: 'TLS policy attached to another queue',
    stack: () =>
      patch(
        goodStack(),
        'tracking-dlq-policy',
        (i) => (i.queueUrl = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/other-queue`),
      ),
  },
  {
    rule: 'sqs-policy-not-public',
    what: 'anyone may send',
    stack: () =>
      patch(goodStack(), 'tracking-dlq-policy', (i) => {
        const doc = JSON.parse(String(i.policy));
        doc.Statement.push({ Effect: 'Allow', Principal: '*', Action: 'sqs:SendMessage', Resource: ARN.queue });
        i.policy = JSON.stringify(doc);
      }),
  },
  {
    rule: 'sqs-policy-not-public',
    what: 'every SQS action to an account',
    stack: () =>
      patch(goodStack(), 'tracking-dlq-policy', (i) => {
        const doc = JSON.parse(String(i.policy));
        doc.Statement.push({
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'sqs:*',
          Resource: ARN.queue,
        });
        i.policy = JSON.stringify(doc);
      }),
  },
  {
    rule: 'sqs-policy-not-public',
    what: 'anyone may send, with a condition that names no caller (TLS)',
    stack: () =>
      webhookDlqStatements([
        DENY_INSECURE,
        ALLOW_EVENTBRIDGE,
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 'sqs:SendMessage',
          Resource: WEBHOOK_ARN.deadLetterQueue,
          Condition: { Bool: { 'aws:SecureTransport': 'true' } },
        },
      ]),
  },
  {
    rule: 'sqs-policy-not-public',
    what: 'everyone but one principal may send (NotPrincipal)',
    stack: () =>
      webhookDlqStatements([
        DENY_INSECURE,
        ALLOW_EVENTBRIDGE,
        {
          Effect: 'Allow',
          NotPrincipal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
          Action: 'sqs:SendMessage',
          Resource: WEBHOOK_ARN.deadLetterQueue,
        },
      ]),
  },
  {
    rule: 'sqs-policy-not-public',
    what: "EventBridge may send for any account's rule (no aws:SourceArn)",
    stack: () => webhookDlqStatements([DENY_INSECURE, { ...ALLOW_EVENTBRIDGE, Condition: undefined }]),
  },
  {
    rule: 'eventbridge-target-dead-letter-queue',
    what: 'webhook target without a dead-letter queue',
    stack: () => patch(withWebhook(goodStack()), 'webhook-target', (i) => delete i.deadLetterConfig),
  },
  {
    rule: 'eventbridge-target-dead-letter-queue',
    what: 'dead-letter queue EventBridge may not send to',
    stack: () => webhookDlqStatements([DENY_INSECURE]),
  },
  {
    rule: 'eventbridge-target-dead-letter-queue',
    what: 'an SNS topic as dead-letter queue',
    stack: () =>
      patch(withWebhook(goodStack()), 'webhook-target', (i) => {
        i.deadLetterConfig = { arn: `arn:aws:sns:${REGION}:${ACCOUNT}:tracking-alarms-dev` };
      }),
  },
  {
    rule: 'eventbridge-target-dead-letter-queue',
    what: 'a FIFO dead-letter queue',
    stack: () =>
      patch(withWebhook(goodStack()), 'webhook-target', (i) => {
        i.deadLetterConfig = { arn: `${WEBHOOK_ARN.deadLetterQueue}.fifo` };
      }),
  },
  {
    rule: 'iam-no-wildcard-resource',
    what: 'the webhook role may invoke every API destination',
    stack: () =>
      patch(withWebhook(goodStack()), 'webhook-role-policy', (i) => {
        i.policy = JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:InvokeApiDestination', Resource: '*' }],
        });
      }),
  },
  {
    rule: 'iam-trust-policy-scoped',
    what: 'anyone may assume the webhook role',
    stack: () =>
      patch(withWebhook(goodStack()), 'webhook-role', (i) => {
        i.assumeRolePolicy = JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: '*', Action: 'sts:AssumeRole' }],
        });
      }),
  },
  {
    rule: 'ssm-sensitive-securestring',
    what: 'endpoint as String',
    stack: () => patch(goodStack(), 'db-endpoint', (i) => (i.type = 'String')),
  },
  {
    rule: 'ssm-sensitive-securestring',
    what: 'api key as String',
    stack: () =>
      withResource(goodStack(), 'aws:ssm/parameter:Parameter', 'partner-key', {
        name: '/logistics/partner/dev/api-key',
        type: 'String',
        value: 'x',
      }),
  },
  {
    rule: 'cloudwatch-alarm-actions',
    what: 'alarm without action',
    stack: () => patch(goodStack(), 'api-5xx', (i) => (i.alarmActions = [])),
  },
  {
    rule: 'cloudwatch-alarm-actions',
    what: 'actions disabled',
    stack: () => patch(goodStack(), 'queue-depth', (i) => (i.actionsEnabled = false)),
  },
  {
    rule: 'cloudwatch-alarm-actions',
    what: 'composite alarm without action',
    stack: () =>
      withResource(goodStack(), 'aws:cloudwatch/compositeAlarm:CompositeAlarm', 'api-degraded', {
        alarmName: 'api-degraded-dev',
        alarmRule: 'ALARM(api-5xx-dev)',
      }),
  },
  {
    rule: 'cloudwatch-log-group-retention',
    what: 'never-expiring log group',
    stack: () => patch(goodStack(), 'access-logs', (i) => delete i.retentionInDays),
  },
  {
    rule: 'iam-no-wildcard-action',
    what: 'dynamodb:*',
    stack: () => withStatement({ Effect: 'Allow', Action: 'dynamodb:*', Resource: ARN.table }),
  },
  {
    rule: 'iam-no-wildcard-action',
    what: 'dynamodb:Get*',
    stack: () => withStatement({ Effect: 'Allow', Action: ['dynamodb:Get*'], Resource: ARN.table }),
  },
  {
    rule: 'iam-no-wildcard-action',
    what: 'Allow with NotAction',
    stack: () => withStatement({ Effect: 'Allow', NotAction: 'iam:*', Resource: ARN.table }),
  },
  {
    rule: 'iam-no-wildcard-action',
    what: 'wildcard in a Role inline policy',
    stack: () =>
      patch(goodStack(), 'function-role', (i) => {
        i.inlinePolicies = [
          {
            name: 'extra',
            policy: JSON.stringify({
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: ARN.queue }],
            }),
          },
        ];
      }),
  },
  {
    rule: 'iam-no-wildcard-action',
    what: 'unparseable document',
    stack: () => patch(goodStack(), 'function-policy', (i) => (i.policy = '{not json')),
  },
  {
    rule: 'iam-no-wildcard-resource',
    what: 'Scan on *',
    stack: () => withStatement({ Effect: 'Allow', Action: 'dynamodb:Scan', Resource: '*' }),
  },
  {
    rule: 'iam-no-wildcard-resource',
    what: 'resource part *',
    stack: () =>
      withStatement({ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:*` }),
  },
  {
    rule: 'iam-no-pass-role',
    what: 'iam:PassRole',
    stack: () =>
      withStatement({ Effect: 'Allow', Action: 'iam:PassRole', Resource: `arn:aws:iam::${ACCOUNT}:role/anything` }),
  },
  {
    rule: 'iam-no-pass-role',
    what: 'iam:Pass* pattern',
    stack: () =>
      withStatement({ Effect: 'Allow', Action: 'iam:Pass*', Resource: `arn:aws:iam::${ACCOUNT}:role/anything` }),
    also: ['iam-no-wildcard-action'],
  },
  {
    rule: 'iam-no-admin-policies',
    what: 'AdministratorAccess attached',
    stack: () =>
      withResource(goodStack(), 'aws:iam/rolePolicyAttachment:RolePolicyAttachment', 'admin', {
        role: 'tracking-handler-role-dev',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
      }),
  },
  {
    rule: 'iam-no-admin-policies',
    what: 'AWS managed policy not on the waiver list',
    stack: () =>
      patch(
        goodStack(),
        'function-role',
        (i) => (i.managedPolicyArns = ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']),
      ),
  },
  {
    rule: 'iam-no-admin-policies',
    what: '"*" on "*"',
    stack: () => withStatement({ Effect: 'Allow', Action: '*', Resource: '*' }),
    also: ['iam-no-wildcard-action', 'iam-no-wildcard-resource', 'iam-no-pass-role'],
  },
  {
    rule: 'iam-trust-policy-scoped',
    what: 'anyone may assume the role',
    stack: () =>
      patch(goodStack(), 'function-role', (i) => {
        i.assumeRolePolicy = JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
        });
      }),
  },
];

describe('policy pack rules', () => {
  test('every mandatory rule is mandatory and names the controls it implements', () => {
    expect(new Set(RULE_NAMES).size).toBe(RULE_NAMES.length);
    for (const rule of mandatoryRules()) {
      expect(rule.enforcementLevel).toBe('mandatory');
      expect(rule.description).toMatch(
        /Implements: .*(CKV2?_AWS_\d+|[A-Za-z]+\.\d+|AwsSolutions-[A-Z]+\d+|Serverless-[A-Za-z]+|Well-Architected [A-Z]{3}\d{2}-BP\d{2})/,
      );
      expect(rule.tags?.length).toBeGreaterThan(0);
    }
  });

  test('the compliant fixture breaks no mandatory rule', async () => {
    expect((await firing(goodStack())).lines).toEqual([]);
  });

  test('a function whose only trigger is an event source mapping with an on-failure destination needs no DLQ', async () => {
    const stack = withStreamConsumer(goodStack());
    expect(stack.find((r) => r.name === 'consumer')!.inputs.deadLetterConfig).toBeUndefined();
    expect((await firing(stack)).lines).toEqual([]);
    // The mapping may name it by name too (the stack does).
    const byName = patch(
      withStreamConsumer(goodStack()),
      'consumer-mapping',
      (i) => (i.functionName = 'tracking-projection-dev'),
    );
    expect((await firing(byName)).lines).toEqual([]);
  });

  test('the webhook as designed breaks no mandatory rule: DLQ writable by EventBridge for its rule only, role scoped to its destination', async () => {
    const stack = withWebhook(goodStack());
    expect((await firing(stack)).lines).toEqual([]);
    // Its connection and the bus are reported by the CMK waiver, not refused.
    const cmk = (await runPolicies(POLICIES, stack)).filter((v) => v.policy === 'waiver-eventbridge-cmk');
    expect(cmk.map((v) => [v.level, v.resource])).toEqual([
      ['advisory', 'event-bus'],
      ['advisory', 'webhook-connection'],
    ]);
  });

  test('policy/README.md lists every rule and every waiver', () => {
    const readme = fs.readFileSync(path.join(__dirname, '../../policy/README.md'), 'utf8');
    // A table row's first cell, however the formatter pads it.
    const listed = new Set([...readme.matchAll(/^\|\s*`([a-z0-9-]+)`\s*\|/gm)].map((m) => m[1]));
    const missing = [...RULE_NAMES, ...WAIVERS.map((w) => w.id)].filter((name) => !listed.has(name));
    expect(missing).toEqual([]);
  });

  test('every mandatory rule has at least one bad case', () => {
    expect(RULE_NAMES.filter((name) => !BAD.some((c) => c.rule === name))).toEqual([]);
  });

  test.each(BAD.map((c) => [c.rule, c.what, c] as const))('%s fires on %s', async (_rule, _what, bad) => {
    const policies = bad.withoutWaiver ? buildPolicies(WAIVERS.filter((w) => w.id !== bad.withoutWaiver)) : POLICIES;
    const { names, lines } = await firing(bad.stack(), policies);
    expect(names).toEqual([bad.rule, ...(bad.also ?? [])].sort());
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe('rule helpers', () => {
  test('access log formats: JSON templates pass, CLF does not', () => {
    expect(isJsonTemplate('{"requestId":"$context.requestId","status":$context.status}')).toBe(true);
    expect(isJsonTemplate('$context.requestId $context.status')).toBe(false);
    expect(isJsonTemplate('["$context.requestId"]')).toBe(false);
  });

  test('runtimes: supported until their deprecation date', () => {
    expect(runtimeProblem('nodejs22.x', new Date('2027-04-29T00:00:00Z'))).toBeUndefined();
    expect(runtimeProblem('nodejs22.x', new Date('2027-04-30T00:00:00Z'))).toMatch(/deprecated/);
    expect(runtimeProblem('nodejs16.x', new Date())).toMatch(/not a supported/);
    expect(runtimeProblem(undefined, new Date())).toMatch(/no runtime/);
  });

  test('a resource rule checks only resources of its types, and carries no hidden marker for the server', async () => {
    const seen: string[] = [];
    const rule = resourceRule({
      name: 'test-rule',
      summary: 'Test.',
      controls: { other: ['TEST'] },
      severity: 'low',
      remediation: 'None.',
      types: [T.queue, T.queuePolicy],
      check: (_props, report, args) => {
        seen.push(args.name);
        report('seen');
      },
    });
    const resource = (type: string, name: string): SynthResource => ({ type, name, parent: null, inputs: {} });
    const stack = [
      resource(T.queue, 'q'),
      resource(T.table, 't'),
      resource(T.queuePolicy, 'qp'),
      resource(T.lambdaFunction, 'f'),
    ];
    const found = await runPolicies([rule], stack);
    expect(seen).toEqual(['q', 'qp']);
    expect(found.map((v) => `${v.policy} ${v.resource} ${v.message}`)).toEqual([
      'test-rule q seen',
      'test-rule qp seen',
    ]);
    expect(Object.keys(rule.validateResource as object)).toEqual([]);
  });

  test("obj: plain objects only (the repository's one check)", () => {
    const bag = { a: 1 };
    expect(obj(bag)).toBe(bag);
    expect(obj({})).toEqual({});
    for (const value of [null, undefined, [], [1], 'x', 1, true]) expect(obj(value)).toBeUndefined();
  });
});

/** For each waiver: the change to the compliant fixture that meets the waived control. */
const MEET: Record<string, (s: SynthResource[]) => SynthResource[]> = {
  'lambda-vpc': (s) =>
    patch(
      s,
      'tracking-handler',
      (i) => (i.vpcConfig = { subnetIds: ['subnet-1', 'subnet-2'], securityGroupIds: ['sg-1'] }),
    ),
  'lambda-reserved-concurrency': (s) => patch(s, 'tracking-handler', (i) => (i.reservedConcurrentExecutions = 20)),
  'lambda-code-signing': (s) =>
    patch(
      s,
      'tracking-handler',
      (i) => (i.codeSigningConfigArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:code-signing-config:csc-1`),
    ),
  'lambda-environment-cmk': (s) =>
    patch(s, 'tracking-handler', (i) => (i.kmsKeyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1`)),
  'api-waf': (s) =>
    withResource(s, 'aws:wafv2/webAclAssociation:WebAclAssociation', 'waf', {
      resourceArn: `arn:aws:apigateway:${REGION}::/restapis/${API_ID}/stages/dev`,
      webAclArn: `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/api/1`,
    }),
  'api-cache': (s) => patch(s, 'stage', (i) => (i.cacheClusterEnabled = true)),
  'api-client-certificate': (s) => patch(s, 'stage', (i) => (i.clientCertificateId = 'cert1')),
  'api-cognito-authorizer': (s) =>
    ['track-post', 'status-get'].reduce(
      (acc, name) =>
        patch(acc, name, (i) => Object.assign(i, { authorization: 'COGNITO_USER_POOLS', authorizerId: 'auth1' })),
      s,
    ),
  'dynamodb-cmk': (s) =>
    patch(
      s,
      'tracking-table',
      (i) => (i.serverSideEncryption = { enabled: true, kmsKeyArn: `arn:aws:kms:${REGION}:${ACCOUNT}:key/1` }),
    ),
  'dynamodb-deletion-protection': (s) => patch(s, 'tracking-table', (i) => (i.deletionProtectionEnabled = true)),
  'dynamodb-backup-plan': (s) =>
    withResource(s, 'aws:backup/selection:Selection', 'backup', { planId: 'plan1', resources: [ARN.table] }),
  'sqs-cmk': (s) => patch(s, 'tracking-dlq', (i) => (i.kmsMasterKeyId = 'alias/tracking')),
  'sqs-dead-letter-queue': (s) =>
    patch(
      s,
      'tracking-dlq',
      (i) => (i.redrivePolicy = JSON.stringify({ deadLetterTargetArn: ARN.queue, maxReceiveCount: 5 })),
    ),
  'ssm-plain-config': (s) =>
    ['api-config', 'feature-flags'].reduce((acc, name) => patch(acc, name, (i) => (i.type = 'SecureString')), s),
  'ssm-cmk': (s) => patch(s, 'db-endpoint', (i) => (i.keyId = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1`)),
  'logs-kms': (s) =>
    s.map((r) =>
      r.type === 'aws:cloudwatch/logGroup:LogGroup' ? { ...r, inputs: { ...r.inputs, kmsKeyId: 'k' } } : r,
    ),
  'logs-one-year': (s) =>
    s.map((r) =>
      r.type === 'aws:cloudwatch/logGroup:LogGroup' ? { ...r, inputs: { ...r.inputs, retentionInDays: 365 } } : r,
    ),
  'sns-encryption': (s) => patch(s, 'alarm-topic', (i) => (i.kmsMasterKeyId = 'alias/alarms')),
  'sns-tls-only': (s) =>
    withResource(s, 'aws:sns/topicPolicy:TopicPolicy', 'alarm-topic-policy', {
      arn: `arn:aws:sns:${REGION}:${ACCOUNT}:tracking-alarms-dev`,
      policy: JSON.stringify({
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    }),
  'eventbridge-cmk': (s) =>
    patch(s, 'event-bus', (i) => (i.kmsKeyIdentifier = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1`)),
  'eventbridge-bus-policy': (s) =>
    withResource(s, 'aws:cloudwatch/eventBusPolicy:EventBusPolicy', 'event-bus-policy', {
      eventBusName: 'tracking-events-dev',
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
            Action: 'events:PutEvents',
            Resource: ARN.bus,
          },
        ],
      }),
    }),
  'iam-xray-resource-star': (s) =>
    functionPolicy(s, { ...FUNCTION_POLICY, Statement: FUNCTION_POLICY.Statement.filter((st) => st.Sid !== 'XRay') }),
  'iam-apigateway-logs-managed-policy': (s) => without(s, 'apigateway-logs-policy'),
};

describe('waivers', () => {
  test('every waiver is advisory, names its controls and gives a reason', () => {
    for (const policy of buildPolicies().filter((p) => p.name.startsWith('waiver-'))) {
      expect(policy.enforcementLevel).toBe('advisory');
      expect(policy.description).toMatch(
        /^WAIVED .*(CKV2?_AWS_\d+|[A-Za-z]+\.\d+|AwsSolutions-[A-Z]+\d+|Well-Architected [A-Z]{3}\d{2}-BP\d{2}).*Reason: .{80,}/,
      );
    }
    expect(WAIVERS.map((w) => w.id).sort()).toEqual(Object.keys(MEET).sort());
  });

  test.each(WAIVERS.map((w) => [w.id] as const))(
    'waiver-%s reports on the fixture and goes quiet once the control is met',
    async (id) => {
      const policy = waiverPolicyName(WAIVERS.find((w) => w.id === id)!);
      const before = (await runPolicies(POLICIES, goodStack())).filter((v) => v.policy === policy);
      expect(before.length).toBeGreaterThan(0);
      expect(before.every((v) => v.level === 'advisory' && v.resource !== undefined)).toBe(true);
      const after = await runPolicies(POLICIES, MEET[id](goodStack()));
      expect(after.filter((v) => v.policy === policy)).toEqual([]);
      expect(describeViolations(mandatory(after))).toEqual([]);
    },
  );

  test('a stack can revoke a waiver by raising it to mandatory in the policy config', async () => {
    const violations = await runPolicies(POLICIES, goodStack(), {
      config: { 'waiver-lambda-reserved-concurrency': 'mandatory' },
    });
    expect(mandatory(violations).map((v) => `${v.policy} ${v.resource}`)).toEqual([
      'waiver-lambda-reserved-concurrency tracking-handler',
    ]);
  });
});
