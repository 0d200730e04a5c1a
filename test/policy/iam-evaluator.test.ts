/** The least-privilege oracle itself: matching and decisions as AWS makes them. */
import { evaluate, isAllowed, parsePolicy, wildcardMatch } from './iam-evaluator';

const TABLE = 'arn:aws:dynamodb:us-west-2:123456789012:table/tracking-dev';
const doc = (...Statement: Record<string, unknown>[]) => JSON.stringify({ Version: '2012-10-17', Statement });

describe('wildcardMatch', () => {
  test.each([
    ['dynamodb:PutItem', 'dynamodb:PutItem', false, true],
    ['dynamodb:putitem', 'dynamodb:PutItem', false, true],
    ['dynamodb:Put*', 'dynamodb:PutItem', false, true],
    ['dynamodb:*', 'dynamodb:DeleteItem', false, true],
    ['*', 'sqs:DeleteQueue', false, true],
    ['ssm:GetParameter?', 'ssm:GetParameters', false, true],
    ['ssm:GetParameter?', 'ssm:GetParameter', false, false],
    ['dynamodb:Query', 'dynamodb:Scan', false, false],
    ['dynamodb:Query', 'dynamodb:QueryX', false, false],
    [`${TABLE}`, `${TABLE}/index/StatusIndex`, true, false],
    [`${TABLE}/index/*`, `${TABLE}/index/StatusIndex`, true, true],
    [`${TABLE}*`, `${TABLE}-prod`, true, true],
    [`${TABLE}`, TABLE.toUpperCase(), true, false],
    [
      'arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/fn:*',
      'arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/fn:log-stream:2026/x',
      true,
      true,
    ],
    [
      'arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/fn:*',
      'arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/fnx:log-stream:s',
      true,
      false,
    ],
    ['arn:aws:s3:::bucket/${aws:username}/*', 'arn:aws:s3:::bucket/alice/key', true, true],
    ['arn:aws:sqs:us-west-2:123456789012:q.v1', 'arn:aws:sqs:us-west-2:123456789012:qXv1', true, false],
  ])('%s vs %s (case-sensitive %s) -> %s', (pattern, value, caseSensitive, expected) => {
    expect(wildcardMatch(pattern, value, caseSensitive)).toBe(expected);
  });
});

describe('evaluate', () => {
  const grants = doc(
    {
      Sid: 'Table',
      Effect: 'Allow',
      Action: ['dynamodb:PutItem', 'dynamodb:Query'],
      Resource: [TABLE, `${TABLE}/index/*`],
    },
    { Sid: 'XRay', Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' },
  );

  test('allows what a statement names, on the resources it names', () => {
    expect(evaluate([grants], 'dynamodb:PutItem', TABLE)).toEqual({
      decision: 'allow',
      allowedBy: ['Table'],
      deniedBy: [],
    });
    expect(isAllowed([grants], 'DynamoDB:query', `${TABLE}/index/StatusIndex`)).toBe(true);
    expect(isAllowed([grants], 'xray:PutTraceSegments', '*')).toBe(true);
  });

  test('denies implicitly what no statement names', () => {
    expect(evaluate([grants], 'dynamodb:Scan', TABLE).decision).toBe('implicit-deny');
    expect(isAllowed([grants], 'dynamodb:PutItem', `${TABLE}-prod`)).toBe(false);
    expect(isAllowed([grants], 'dynamodb:PutItem', `${TABLE}/stream/2026-01-01T00:00:00.000`)).toBe(false);
  });

  test('an explicit Deny wins over any Allow', () => {
    const deny = doc({ Effect: 'Deny', Action: 'dynamodb:*', Resource: '*' });
    expect(evaluate([grants, deny], 'dynamodb:PutItem', TABLE)).toMatchObject({
      decision: 'explicit-deny',
      allowedBy: ['Table'],
    });
  });

  test('a conditional Deny does not count as denying, a conditional Allow counts as granting', () => {
    const conditional = doc(
      {
        Sid: 'MaybeDeny',
        Effect: 'Deny',
        Action: 'dynamodb:PutItem',
        Resource: TABLE,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'MaybeAllow',
        Effect: 'Allow',
        Action: 'dynamodb:DeleteItem',
        Resource: TABLE,
        Condition: { StringEquals: { 'aws:PrincipalTag/x': 'y' } },
      },
    );
    expect(evaluate([grants, conditional], 'dynamodb:PutItem', TABLE).decision).toBe('allow');
    expect(isAllowed([conditional], 'dynamodb:DeleteItem', TABLE)).toBe(true);
  });

  test('NotAction and NotResource grant everything they do not name', () => {
    const broad = doc({ Sid: 'AllButIam', Effect: 'Allow', NotAction: 'iam:*', NotResource: `${TABLE}/backup/*` });
    expect(isAllowed([broad], 'dynamodb:DeleteItem', TABLE)).toBe(true);
    expect(isAllowed([broad], 'iam:PassRole', 'arn:aws:iam::123456789012:role/x')).toBe(false);
    expect(isAllowed([broad], 'dynamodb:RestoreTableFromBackup', `${TABLE}/backup/1`)).toBe(false);
  });

  test('documents may be objects, single statements, single strings', () => {
    expect(
      parsePolicy({ Statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-west-2:1:q' } }),
    ).toEqual([
      {
        sid: undefined,
        effect: 'Allow',
        action: ['sqs:SendMessage'],
        notAction: undefined,
        resource: ['arn:aws:sqs:us-west-2:1:q'],
        notResource: undefined,
        conditional: false,
      },
    ]);
    expect(() => parsePolicy('{"Version":"2012-10-17"}')).toThrow(/not an IAM policy/);
    expect(() => parsePolicy(doc({ Effect: 'Maybe', Action: '*', Resource: '*' }))).toThrow(/Effect Maybe/);
  });
});
