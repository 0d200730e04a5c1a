/**
 * The real stack (offline synth of Pulumi.dev.yaml) against the whole policy pack: no mandatory
 * violation, and the advisory findings are exactly the listed waivers; the same with a webhook. A production profile
 * (reserved concurrency, deletion protection) passes with those two waivers revoked. Then the same
 * through the pack as `pulumi preview --policy-pack policy` starts it (its gRPC analyzer).
 */
import * as fs from 'fs';
import * as path from 'path';
import { apiSpec, childName } from '../../lib/api-spec';
import { MODELS } from '../../lambda/contract';
import { synthesize, type SynthResult } from '../../scripts/synth';
import { buildPolicies, WAIVERS } from '../../policy/policies';
import { T } from '../../policy/lib/types';
import { describeViolations, mandatory, type PackConfig, runPolicies, urns } from './harness';
import { POLICY_DIR, type RunningPack, startPack } from './policy-runner';

const POLICIES = buildPolicies();
/** The routes lib/api.ts declares (one method and one invoke permission each), from the spec it declares them from. */
const ROUTES = apiSpec({ functionName: 'f', validatorName: 'v' }).routes;
/** A webhook on the dev stack (the secret given as plain config, read by requireSecret as in a deploy). */
const WEBHOOK_CONFIG = { 'tap:webhookUrl': 'https://hooks.example.com/status', 'tap:webhookSecret': 'not-a-secret' };
let dev: SynthResult;
let webhook: SynthResult;
let pack: RunningPack;

beforeAll(async () => {
  // allSettled: a failing synth must still leave the started pack to afterAll (else jest hangs on it).
  const [synth, withWebhook, started] = await Promise.allSettled([
    synthesize({ stack: 'dev', env: {} }),
    synthesize({ stack: 'dev', env: {}, config: WEBHOOK_CONFIG }),
    startPack(),
  ]);
  if (started.status === 'fulfilled') pack = started.value;
  if (synth.status === 'rejected') throw synth.reason;
  if (withWebhook.status === 'rejected') throw withWebhook.reason;
  if (started.status === 'rejected') throw started.reason;
  dev = synth.value;
  webhook = withWebhook.value;
});
afterAll(() => pack?.stop());

/** The resource types the rules judge, and how many of each the design has (nothing passes vacuously). */
const JUDGED: [string, number][] = [
  [T.method, ROUTES.length],
  [T.requestValidator, 1],
  [T.model, Object.keys(MODELS).length],
  [T.stage, 1],
  [T.methodSettings, 1],
  // The API function and the stream consumer.
  [T.lambdaFunction, 2],
  [T.lambdaPermission, ROUTES.length],
  [T.eventSourceMapping, 1],
  [T.table, 2],
  // Parked updates, the API function's dead-letter queue, stream failures.
  [T.queue, 3],
  [T.queuePolicy, 3],
  [T.parameter, 3],
  // Access, execution, and one per function.
  [T.logGroup, 4],
  // One per function, and API Gateway's account logging role.
  [T.role, 3],
  [T.rolePolicy, 2],
  [T.rolePolicyAttachment, 1],
  [T.eventBus, 1],
  // Only with a webhook (WEBHOOK_JUDGED).
  [T.eventConnection, 0],
  [T.eventApiDestination, 0],
  [T.eventRule, 0],
  [T.eventTarget, 0],
];

/** With a webhook: its connection, destination, rule and target, its dead-letter queue, its role. */
const WEBHOOK_JUDGED = new Map<string, number>([
  ...JUDGED,
  [T.eventConnection, 1],
  [T.eventApiDestination, 1],
  [T.eventRule, 1],
  [T.eventTarget, 1],
  [T.queue, 4],
  [T.queuePolicy, 4],
  [T.role, 4],
  [T.rolePolicy, 3],
]);

function countsOf(synth: SynthResult): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of synth.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  return counts;
}

/** `<waiver id>: <resource>` for every advisory finding. */
async function advisoryFindings(synth: SynthResult): Promise<string[]> {
  const advisory = (await runPolicies(POLICIES, synth.resources)).filter((v) => v.level === 'advisory');
  expect(advisory.every((v) => v.policy.startsWith('waiver-'))).toBe(true);
  return [...new Set(advisory.map((v) => `${v.policy.replace(/^waiver-/, '')}: ${v.resource}`))].sort();
}

describe('policy pack on the dev stack', () => {
  test('the synth holds every resource the rules judge', () => {
    const counts = countsOf(dev);
    for (const [type, count] of JUDGED) expect([type, counts.get(type) ?? 0]).toEqual([type, count]);
    expect(counts.get(T.metricAlarm) ?? 0).toBeGreaterThanOrEqual(7);
  });

  test('no mandatory violation', async () => {
    expect(describeViolations(mandatory(await runPolicies(POLICIES, dev.resources)))).toEqual([]);
  });

  test('the advisory findings are the listed waivers, each on the resources it names', async () => {
    const found = await advisoryFindings(dev);
    const logGroups = [
      'tap-api-access-log-group',
      'tap-api-execution-log-group',
      'tap-api-function-log-group',
      'tap-consumer-function-log-group',
    ];
    const functions = ['tap-api-function', 'tap-consumer-function'];
    const queues = ['tap-function-dead-letter-queue', 'tap-parked-updates-queue', 'tap-stream-failure-queue'];
    const tables = ['tap-idempotency-table', 'tap-tracking-table'];
    expect(found).toEqual(
      [
        'api-cache: tap-stage',
        'api-client-certificate: tap-stage',
        ...ROUTES.map((r) => `api-cognito-authorizer: tap-${childName(r.path)}-method`),
        'api-waf: tap-stage',
        ...tables.map((t) => `dynamodb-backup-plan: ${t}`),
        ...tables.map((t) => `dynamodb-cmk: ${t}`),
        ...tables.map((t) => `dynamodb-deletion-protection: ${t}`),
        'eventbridge-bus-policy: tap-event-bus',
        'eventbridge-cmk: tap-event-bus',
        'iam-apigateway-logs-managed-policy: tap-apigateway-cloudwatch-policy',
        ...functions.map((f) => `iam-xray-resource-star: ${f}-policy`),
        ...functions.map((f) => `lambda-code-signing: ${f}`),
        ...functions.map((f) => `lambda-environment-cmk: ${f}`),
        ...functions.map((f) => `lambda-reserved-concurrency: ${f}`),
        ...functions.map((f) => `lambda-vpc: ${f}`),
        ...logGroups.map((g) => `logs-kms: ${g}`),
        ...logGroups.map((g) => `logs-one-year: ${g}`),
        'sns-encryption: tap-alarm-topic',
        'sns-tls-only: tap-alarm-topic',
        ...queues.map((q) => `sqs-cmk: ${q}`),
        ...queues.map((q) => `sqs-dead-letter-queue: ${q}`),
        'ssm-cmk: tap-endpoint-parameter',
        'ssm-plain-config: tap-config-parameter',
        'ssm-plain-config: tap-flags-parameter',
      ].sort(),
    );
    expect(new Set(found.map((f) => f.split(':')[0]))).toEqual(new Set(WAIVERS.map((w) => w.id)));
  });

  test("the consumer has no DLQ: its mapping's on-failure destination meets lambda-dead-letter-queue, and nothing else would", async () => {
    const firing = async (resources: SynthResult['resources']) =>
      mandatory(await runPolicies(POLICIES, resources)).map((v) => `${v.policy} ${v.resource}`);
    const mapping = dev.resources.find((r) => r.type === T.eventSourceMapping)!;
    const withMapping = (inputs: Record<string, unknown>) =>
      dev.resources.map((r) => (r === mapping ? { ...r, inputs } : r));
    const { destinationConfig: _destination, ...undelivered } = mapping.inputs;
    expect(await firing(withMapping(undelivered))).toEqual(['lambda-dead-letter-queue tap-consumer-function']);
    expect(await firing(dev.resources.filter((r) => r !== mapping))).toEqual([
      'lambda-dead-letter-queue tap-consumer-function',
    ]);
  });

  test('policy/config/production.json revokes the concurrency and deletion-protection waivers: dev fails, a production profile passes', async () => {
    const config = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, 'config/production.json'), 'utf8')) as PackConfig;
    const devFindings = mandatory(await runPolicies(POLICIES, dev.resources, { config }));
    expect(devFindings.map((v) => `${v.policy} ${v.resource}`).sort()).toEqual([
      'waiver-dynamodb-deletion-protection tap-idempotency-table',
      'waiver-dynamodb-deletion-protection tap-tracking-table',
      'waiver-lambda-reserved-concurrency tap-api-function',
      'waiver-lambda-reserved-concurrency tap-consumer-function',
    ]);
    const prod = await synthesize({
      stack: 'dev',
      env: { ENVIRONMENT_SUFFIX: 'prod' },
      config: {
        'tap:lambdaReservedConcurrency': 50,
        'tap:consumerReservedConcurrency': 2,
        'tap:tableDeletionProtection': true,
      },
    });
    expect(describeViolations(mandatory(await runPolicies(POLICIES, prod.resources, { config })))).toEqual([]);
  });
});

describe('policy pack on the dev stack with a webhook', () => {
  test('the synth holds every resource the rules judge, the webhook ones included', () => {
    const counts = countsOf(webhook);
    for (const [type, count] of WEBHOOK_JUDGED) expect([type, counts.get(type) ?? 0]).toEqual([type, count]);
  });

  test('no mandatory violation', async () => {
    expect(describeViolations(mandatory(await runPolicies(POLICIES, webhook.resources)))).toEqual([]);
  });

  test("the advisory findings add exactly the connection's key and the dead-letter queue's SSE-SQS and terminality", async () => {
    const [withWebhook, without] = [await advisoryFindings(webhook), await advisoryFindings(dev)];
    expect(without.every((finding) => withWebhook.includes(finding))).toBe(true);
    expect(withWebhook.filter((finding) => !without.includes(finding))).toEqual([
      'eventbridge-cmk: tap-webhook-connection',
      'sqs-cmk: tap-webhook-dead-letter-queue',
      'sqs-dead-letter-queue: tap-webhook-dead-letter-queue',
    ]);
  });

  test("the target's dead-letter queue, its EventBridge grant and its scoping are what the rules require", async () => {
    const firing = async (resources: SynthResult['resources']) =>
      mandatory(await runPolicies(POLICIES, resources)).map((v) => `${v.policy} ${v.resource}`);
    const replace = (name: string, change: (inputs: Record<string, unknown>) => Record<string, unknown>) =>
      webhook.resources.map((r) => (r.name === name ? { ...r, inputs: change(structuredClone(r.inputs)) } : r));
    const { deadLetterConfig: _dlq, ...undelivered } = webhook.resources.find((r) => r.type === T.eventTarget)!.inputs;
    expect(await firing(replace('tap-webhook-target', () => undelivered))).toEqual([
      'eventbridge-target-dead-letter-queue tap-webhook-target',
    ]);
    const dlqPolicy = (edit: (statements: Record<string, unknown>[]) => Record<string, unknown>[]) =>
      replace('tap-webhook-dead-letter-queue-policy', (inputs) => {
        const doc = JSON.parse(String(inputs.policy));
        return { ...inputs, policy: JSON.stringify({ ...doc, Statement: edit(doc.Statement) }) };
      });
    expect(await firing(dlqPolicy((st) => st.filter((x) => x.Effect === 'Deny')))).toEqual([
      'eventbridge-target-dead-letter-queue tap-webhook-target',
    ]);
    expect(
      await firing(
        dlqPolicy((st) => st.map(({ Condition, ...x }) => (x.Effect === 'Allow' ? x : { ...x, Condition }))),
      ),
    ).toEqual(['sqs-policy-not-public tap-webhook-dead-letter-queue-policy']);
  });
});

describe("the pack under Pulumi's policy runner (what `pulumi preview --policy-pack policy` starts)", () => {
  test('it loads from the root install and declares every policy at its level', async () => {
    const info = await pack.info();
    expect([info.name, info.version]).toEqual(['tap-compliance', '1.0.0']);
    expect(info.policies).toEqual(
      POLICIES.map((p) => ({ name: p.name, level: p.name.startsWith('waiver-') ? 'advisory' : 'mandatory' })),
    );
  });

  test('per-resource analysis of the dev stack: no mandatory diagnostic', async () => {
    const found = (await Promise.all(dev.resources.map((r) => pack.analyze(r)))).flat();
    expect(found.filter((d) => d.level === 'mandatory').map((d) => `${d.policy} ${d.urn}`)).toEqual([]);
  });

  test('the dev stack with a webhook: no mandatory diagnostic, per resource or for the stack', async () => {
    const found = (await Promise.all(webhook.resources.map((r) => pack.analyze(r)))).flat();
    expect(found.filter((d) => d.level === 'mandatory').map((d) => `${d.policy} ${d.urn}`)).toEqual([]);
    const served = await pack.analyzeStack(webhook.resources);
    expect(served.filter((d) => d.level === 'mandatory')).toEqual([]);
  });

  test('stack analysis of the dev stack: the same findings as the offline harness', async () => {
    const served = await pack.analyzeStack(dev.resources);
    expect(served.filter((d) => d.level === 'mandatory')).toEqual([]);
    const urnOf = urns(dev.resources, 'dev', 'tap');
    const offline = (await runPolicies(POLICIES, dev.resources)).map((v) => {
      const resource = dev.resources.find((r) => r.name === v.resource);
      return `${v.policy} ${v.level} ${resource ? urnOf.get(resource) : ''}`;
    });
    expect(served.map((d) => `${d.policy} ${d.level} ${d.urn}`).sort()).toEqual(offline.sort());
  });

  test('a value not known yet (first preview) gives an advisory "can\'t run", never a false mandatory violation', async () => {
    const permission = dev.resources.find((r) => r.type === T.lambdaPermission)!;
    const UNKNOWN_STRING = '04da6b54-80e4-46f7-96ec-b56ff0331ba9'; // the engine's sentinel for a computed string
    const found = await pack.analyze({ ...permission, inputs: { ...permission.inputs, sourceArn: UNKNOWN_STRING } });
    expect(found.map((d) => [d.policy, d.level])).toEqual([['lambda-permission-scoped', 'advisory']]);
    expect(found[0].message).toMatch(/can't run policy 'lambda-permission-scoped'.*during preview/);
  });

  test('a bad function is refused with mandatory diagnostics', async () => {
    const fn = dev.resources.find((r) => r.type === T.lambdaFunction)!;
    const bad = { ...fn, inputs: { ...fn.inputs, runtime: 'nodejs16.x', tracingConfig: { mode: 'PassThrough' } } };
    const found = await pack.analyze(bad);
    expect(
      found
        .filter((d) => d.level === 'mandatory')
        .map((d) => d.policy)
        .sort(),
    ).toEqual(['lambda-runtime-supported', 'lambda-tracing-active']);
  });
});
