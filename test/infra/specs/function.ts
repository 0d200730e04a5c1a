/** The API function, its log group, its role and its least-privilege inline policy (the consumer: consumer.ts). */
import { FUNCTION_ENV, OBSERVABILITY } from '../../../lambda/contract';
import { buildBundle } from '../../../lib/bundle';
import { resolveStackArgs } from '../../../lib/config';
import { FUNCTIONS, functionDefinitions } from '../../../lib/functions';
import { readStackConfigFile } from '../../../lib/stack-config-file';
import { localSdkEnv } from '../../../local/aws';
import { functionEnvironment, lambdaRuntimeVariables } from '../../../local/runtime/function-env';
import { TYPES, inputs, ofType, only, type Inputs } from '../helpers';
import type { Synths } from './synths';

const ARN = {
  table: 'arn:aws:dynamodb:us-west-2:123456789012:table/tracking-updates-dev',
  idempotencyTable: 'arn:aws:dynamodb:us-west-2:123456789012:table/tracking-idempotency-dev',
  queue: 'arn:aws:sqs:us-west-2:123456789012:tracking-parked-updates-dev',
  deadLetterQueue: 'arn:aws:sqs:us-west-2:123456789012:tracking-api-dlq-dev',
  logGroup: 'arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/tracking-api-dev',
  parameter: (name: string) => `arn:aws:ssm:us-west-2:123456789012:parameter${name}`,
};

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: unknown;
  NotAction?: unknown;
  NotResource?: unknown;
}
const list = (value: string | string[]) => (Array.isArray(value) ? [...value] : [value]).sort();

const API_FUNCTION = 'tap-api-function';
const api = (synth: Synths['dev']) => inputs(synth, TYPES.function, API_FUNCTION);

function policyStatements(s: Synths['dev']): Statement[] {
  return JSON.parse(inputs(s, TYPES.rolePolicy, `${API_FUNCTION}-policy`).policy).Statement;
}

export function functionSpec(s: Synths): void {
  describe('lambda', () => {
    it('runs the bundle on nodejs22.x / arm64 with the index.handler entry', () => {
      const fn = api(s.dev);
      expect(fn.name).toBe('tracking-api-dev');
      expect(fn.runtime).toBe('nodejs22.x');
      expect(fn.architectures).toEqual(['arm64']);
      expect(fn.handler).toBe('index.handler');
    });

    it('ships exactly the esbuild bundle lib/bundle.ts builds, as index.mjs', () => {
      const bundle = buildBundle(FUNCTIONS.api.entry);
      expect(api(s.dev).code).toEqual({
        'index.mjs': { sha256: bundle.sha256, bytes: bundle.bytes },
      });
    });

    it('takes memory, timeout and reserved concurrency from config (-1 = no reservation)', () => {
      const dev = api(s.dev);
      expect([dev.memorySize, dev.timeout, dev.reservedConcurrentExecutions]).toEqual([512, 10, -1]);
      const variant = api(s.variant);
      expect([variant.memorySize, variant.timeout, variant.reservedConcurrentExecutions]).toEqual([1024, 20, 5]);
    });

    it('times out before API Gateway does (29 s)', () => {
      for (const synth of [s.dev, s.variant]) expect(api(synth).timeout).toBeLessThan(29);
    });

    it('traces with X-Ray (Active)', () => {
      expect(api(s.dev).tracingConfig).toEqual({ mode: 'Active' });
    });

    it('logs JSON into the log group the stack creates, with its retention', () => {
      const fn = api(s.dev);
      const logGroup = inputs(s.dev, TYPES.logGroup, 'tap-api-function-log-group');
      expect(fn.loggingConfig).toEqual({
        logFormat: 'JSON',
        logGroup: logGroup.name,
        applicationLogLevel: 'INFO',
        systemLogLevel: 'WARN',
      });
      expect(logGroup.name).toBe('/aws/lambda/tracking-api-dev');
      expect(logGroup.retentionInDays).toBe(7);
      expect(inputs(s.variant, TYPES.logGroup, 'tap-api-function-log-group').retentionInDays).toBe(30);
    });

    it('sends failed asynchronous events to its own dead-letter queue, never to the parked-updates queue', () => {
      expect(api(s.dev).deadLetterConfig).toEqual({ targetArn: ARN.deadLetterQueue });
      expect(api(s.dev).deadLetterConfig.targetArn).not.toBe(ARN.queue);
      expect(api(s.pr7).deadLetterConfig).toEqual({
        targetArn: 'arn:aws:sqs:us-west-2:123456789012:tracking-api-dlq-pr7',
      });
    });

    it('gets every variable of the contract, plus the Powertools identity', () => {
      const variables = api(s.dev).environment.variables;
      expect(variables).toEqual({
        [FUNCTION_ENV.tableName]: 'tracking-updates-dev',
        [FUNCTION_ENV.environment]: 'dev',
        [FUNCTION_ENV.configParameter]: '/logistics/api/dev/config',
        [FUNCTION_ENV.flagsParameter]: '/logistics/features/dev/flags',
        [FUNCTION_ENV.queueUrl]: 'https://sqs.us-west-2.amazonaws.com/123456789012/tracking-parked-updates-dev',
        [FUNCTION_ENV.statusShardCount]: '8',
        [FUNCTION_ENV.idempotencyTable]: 'tracking-idempotency-dev',
        POWERTOOLS_SERVICE_NAME: OBSERVABILITY.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: OBSERVABILITY.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: 'INFO',
      });
      // Whatever the contract adds later must reach the function too; the bus is the consumer's alone.
      const { eventBusName: _consumerOnly, ...apiContract } = FUNCTION_ENV;
      expect(Object.keys(variables)).toEqual(expect.arrayContaining(Object.values(apiContract)));
      expect(variables[FUNCTION_ENV.eventBusName]).toBeUndefined();
      expect(api(s.variant).environment.variables[FUNCTION_ENV.statusShardCount]).toBe('16');
    });

    it("runs locally with exactly the variables the stack sets, plus only Lambda's own and the SDK endpoints", () => {
      const args = resolveStackArgs(readStackConfigFile('dev').read, {});
      const refs = {
        tableName: 't',
        idempotencyTableName: 'i',
        queueUrl: 'q',
        configParameter: 'c',
        flagsParameter: 'f',
        eventBusName: 'b',
      };
      const definitions = functionDefinitions(args, refs);
      const sdk = localSdkEnv('us-west-2', {
        dynamodb: 'http://d',
        ssm: 'http://s',
        sqs: 'http://q',
        eventbridge: 'http://e',
      });
      for (const definition of Object.values(definitions)) {
        const stackVariables = (
          ofType(s.dev, TYPES.function).find((f) => f.inputs.name === definition.name)!.inputs as Inputs
        ).environment.variables;
        const local = functionEnvironment(definition, sdk, '/var/task');
        const lambdaOwn = lambdaRuntimeVariables(definition, '/var/task');
        expect(Object.keys(stackVariables).filter((key) => !(key in local))).toEqual([]);
        expect(
          Object.keys(local)
            .filter((key) => !(key in stackVariables))
            .sort(),
        ).toEqual(
          [...Object.keys(lambdaOwn), ...Object.keys(sdk), 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'].sort(),
        );
      }
    });

    it('runs as the function role, created after its policy', () => {
      const fn = only(s.dev, TYPES.function, API_FUNCTION);
      expect(fn.inputs.role).toBe('arn:aws:iam::123456789012:role/tracking-api-role-dev');
      expect(fn.dependencies).toContain('tap-api-function-policy');
    });
  });

  describe('role', () => {
    it('can be assumed by Lambda only', () => {
      expect(JSON.parse(inputs(s.dev, TYPES.role, 'tap-api-function-role').assumeRolePolicy)).toEqual({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      });
    });

    it('has one inline policy and no managed policies', () => {
      const own = ofType(s.dev, TYPES.rolePolicy).filter((p) => p.inputs.role === 'tracking-api-role-dev');
      expect(own.map((p) => [p.name, p.inputs.name])).toEqual([[`${API_FUNCTION}-policy`, 'tracking-api-policy-dev']]);
      const attachedToFunctionRole = ofType(s.dev, TYPES.rolePolicyAttachment).filter(
        (a) => a.inputs.role === 'tracking-api-role-dev',
      );
      expect(attachedToFunctionRole).toEqual([]);
    });

    // The stream consumer changes nothing here: the API still only puts and queries (GET /shipments
    // queries StatusIndex); it neither reads the stream nor updates state records.
    it('allows exactly the calls the handler makes, on exactly its own resources', () => {
      const grants = policyStatements(s.dev).map((st) => ({
        effect: st.Effect,
        actions: list(st.Action),
        resources: list(st.Resource),
      }));
      expect(grants).toEqual([
        { effect: 'Allow', actions: ['dynamodb:PutItem'], resources: [ARN.table] },
        { effect: 'Allow', actions: ['dynamodb:Query'], resources: [ARN.table, `${ARN.table}/index/StatusIndex`] },
        // Powertools Idempotency's four calls, on the records' table only.
        {
          effect: 'Allow',
          actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
          resources: [ARN.idempotencyTable],
        },
        // The config and the flags; not the endpoint parameter (published for other consumers).
        {
          effect: 'Allow',
          actions: ['ssm:GetParameter'],
          resources: [ARN.parameter('/logistics/api/dev/config'), ARN.parameter('/logistics/features/dev/flags')],
        },
        { effect: 'Allow', actions: ['sqs:SendMessage'], resources: [ARN.queue] },
        // Lambda delivers failed async events to the DLQ with the function's role.
        { effect: 'Allow', actions: ['sqs:SendMessage'], resources: [ARN.deadLetterQueue] },
        { effect: 'Allow', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${ARN.logGroup}:*`] },
        // X-Ray has no resource-level permissions.
        { effect: 'Allow', actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
      ]);
    });

    it('has no wildcard action, no Scan, no negated or conditional grants', () => {
      for (const st of policyStatements(s.dev)) {
        for (const action of list(st.Action)) {
          expect(action).not.toContain('*');
          expect(action).not.toMatch(/Scan/);
        }
        expect(st.NotAction).toBeUndefined();
        expect(st.NotResource).toBeUndefined();
        expect(st.Condition).toBeUndefined();
      }
    });

    it("cannot read another environment's parameters", () => {
      const resources = policyStatements(s.pr7).flatMap((st) => list(st.Resource));
      expect(resources.filter((r) => r.includes(':parameter/'))).toEqual([
        ARN.parameter('/logistics/api/pr7/config'),
        ARN.parameter('/logistics/features/pr7/flags'),
      ]);
    });
  });
}
