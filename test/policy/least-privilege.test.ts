/**
 * Least privilege, proven on the synth output: the function role's policy documents, evaluated as
 * AWS would (iam-evaluator.ts), grant the handler's actions on its own table, index, parameters,
 * queue and log group, and nothing that any statement could stretch to: no DeleteItem, Scan,
 * UpdateTable, other table, other environment's parameters, other queue, PutParameter, DeleteQueue.
 */
import { synthesize, type SynthResult } from '../../scripts/synth';
import { T } from '../../policy/lib/types';
import { evaluate, parsePolicy } from './iam-evaluator';

interface Grants {
  env: string;
  account: string;
  region: string;
  documents: string[];
  table: string;
  queue: string;
  logGroup: string;
  parameters: string[];
}

function inputs(result: SynthResult, type: string): Record<string, unknown>[] {
  return result.resources.filter((r) => r.type === type).map((r) => r.inputs);
}

/** The function, its role, and every identity policy document attached to that role. */
function functionGrants(result: SynthResult): Grants {
  const [fn, ...others] = inputs(result, T.lambdaFunction);
  expect(others).toEqual([]);
  const roleArn = String(fn.role);
  const [, account, roleName] = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn) ?? [];
  const role = inputs(result, T.role).find((r) => r.name === roleName);
  expect(role?.name).toBe(roleName);
  const attached = (type: string) => inputs(result, type).filter((p) => [roleName, roleArn].includes(String(p.role)));
  // Managed policies cannot be evaluated offline; the design gives the function inline policies only.
  expect(attached(T.rolePolicyAttachment)).toEqual([]);
  expect(role!.managedPolicyArns ?? []).toEqual([]);
  const documents = [
    ...attached(T.rolePolicy).map((p) => String(p.policy)),
    ...((role!.inlinePolicies as { policy: string }[] | undefined) ?? []).map((p) => p.policy),
  ];
  expect(documents.length).toBeGreaterThan(0);

  const env = String((fn.environment as { variables: Record<string, string> }).variables.ENVIRONMENT);
  const region = String(result.outputs.region);
  const [table] = inputs(result, T.table).map((t) => `arn:aws:dynamodb:${region}:${account}:table/${t.name}`);
  const [queue] = inputs(result, T.queue).map((q) => `arn:aws:sqs:${region}:${account}:${q.name}`);
  const logGroupName = String((fn.loggingConfig as { logGroup: string }).logGroup);
  const names = inputs(result, T.parameter)
    .map((p) => String(p.name))
    .sort();
  expect(names).toEqual([
    `/logistics/api/${env}/config`,
    `/logistics/db/${env}/endpoint`,
    `/logistics/features/${env}/flags`,
  ]);
  return {
    env,
    account,
    region,
    documents,
    table,
    queue,
    logGroup: `arn:aws:logs:${region}:${account}:log-group:${logGroupName}`,
    parameters: names.map((n) => `arn:aws:ssm:${region}:${account}:parameter${n}`),
  };
}

let dev: Grants;
let pr7: Grants;

beforeAll(async () => {
  dev = functionGrants(await synthesize({ stack: 'dev', env: {} }));
  pr7 = functionGrants(await synthesize({ stack: 'dev', env: { ENVIRONMENT_SUFFIX: 'pr7' } }));
});

const granted = (g: Grants, action: string, resource: string) => evaluate(g.documents, action, resource).allowedBy;

/** The handler's needs: what the code calls, on what. */
function needs(g: Grants): [string, string][] {
  const stream = `${g.logGroup}:log-stream:2026/11/27/[$LATEST]0123456789abcdef`;
  return [
    ['dynamodb:PutItem', g.table],
    ['dynamodb:Query', g.table],
    ['dynamodb:Query', `${g.table}/index/StatusIndex`],
    ...g.parameters.flatMap((p): [string, string][] => [
      ['ssm:GetParameter', p],
      ['ssm:GetParameters', p],
    ]),
    ['sqs:SendMessage', g.queue],
    ['logs:CreateLogStream', stream],
    ['logs:PutLogEvents', stream],
    ['xray:PutTraceSegments', '*'],
    ['xray:PutTelemetryRecords', '*'],
  ];
}

/** What must not be granted by any statement. */
function forbidden(g: Grants): [string, string][] {
  const other = (arn: string) => arn.replace(`-${g.env}`, '-prod');
  const tables = [g.table, `${g.table}/index/StatusIndex`];
  const otherTables = [
    other(g.table),
    `arn:aws:dynamodb:${g.region}:${g.account}:table/other-table`,
    `${g.table}-copy`,
  ];
  const otherParameters = g.parameters.flatMap((p) => [
    p.replace(`/${g.env}/`, '/prod/'),
    p.replace(`/${g.env}/`, '/staging/'),
    `${p}-old`,
  ]);
  const otherQueues = [other(g.queue), `arn:aws:sqs:${g.region}:${g.account}:other-queue`];
  const otherGroup = `arn:aws:logs:${g.region}:${g.account}:log-group:/aws/lambda/other-function`;
  return [
    ...[
      'dynamodb:DeleteItem',
      'dynamodb:Scan',
      'dynamodb:UpdateTable',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteTable',
      'dynamodb:BatchWriteItem',
    ].flatMap((a) => tables.map((t): [string, string] => [a, t])),
    ...otherTables.flatMap((t): [string, string][] => [
      ['dynamodb:PutItem', t],
      ['dynamodb:Query', t],
      ['dynamodb:Query', `${t}/index/StatusIndex`],
    ]),
    ...otherParameters.flatMap((p): [string, string][] => [
      ['ssm:GetParameter', p],
      ['ssm:GetParameters', p],
    ]),
    ...g.parameters.flatMap((p): [string, string][] => [
      ['ssm:PutParameter', p],
      ['ssm:DeleteParameter', p],
      ['ssm:GetParametersByPath', p],
    ]),
    ['ssm:GetParametersByPath', `arn:aws:ssm:${g.region}:${g.account}:parameter/logistics/api/${g.env}`],
    ...otherQueues.map((q): [string, string] => ['sqs:SendMessage', q]),
    ['sqs:DeleteQueue', g.queue],
    ['sqs:PurgeQueue', g.queue],
    ['sqs:ReceiveMessage', g.queue],
    ['sqs:SetQueueAttributes', g.queue],
    ['logs:PutLogEvents', `${otherGroup}:log-stream:x`],
    ['logs:DeleteLogGroup', g.logGroup],
    ['logs:CreateLogGroup', otherGroup],
    ['iam:PassRole', `arn:aws:iam::${g.account}:role/any`],
  ];
}

describe('least privilege of the function role', () => {
  test("the handler's actions on its own resources are granted", () => {
    for (const [action, resource] of needs(dev)) {
      expect([action, resource, evaluate(dev.documents, action, resource).decision]).toEqual([
        action,
        resource,
        'allow',
      ]);
    }
  });

  test('nothing beyond them is granted by any statement', () => {
    const leaks = forbidden(dev).filter(([action, resource]) => granted(dev, action, resource).length > 0);
    expect(leaks).toEqual([]);
  });

  test('the role names exactly the actions the handler uses', () => {
    const actions = dev.documents
      .flatMap((d) => parsePolicy(d))
      .filter((s) => s.effect === 'Allow')
      .flatMap((s) => {
        expect(s.notAction).toBeUndefined();
        return s.action ?? [];
      });
    expect([...new Set(actions)].sort()).toEqual([...new Set(needs(dev).map(([a]) => a))].sort());
  });

  test("each environment's role reaches only its own environment", () => {
    expect(pr7.env).toBe('pr7');
    for (const [mine, theirs] of [
      [dev, pr7],
      [pr7, dev],
    ]) {
      const crossings = needs(theirs)
        .filter(([action, resource]) => resource !== '*' && !action.startsWith('xray:'))
        .filter(([action, resource]) => granted(mine, action, resource).length > 0);
      expect([mine.env, crossings]).toEqual([mine.env, []]);
    }
  });
});
