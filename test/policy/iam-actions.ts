/**
 * What IAM evaluates for one recorded AWS call (local/aws/faults.ts RecordedCall): the action and
 * the resource ARN(s) of the request, as the service's authorization would name them. Pure: the
 * call's input, a region and an account in, (action, resource) pairs out. An oracle beside
 * iam-evaluator.ts for test/policy/least-privilege-calls.test.ts; it lives with the tests, not in
 * policy/lib, because the pack judges synthesized resources, never recorded calls.
 *
 * - DynamoDB: `dynamodb:<Operation>` on `arn:aws:dynamodb:<region>:<account>:table/<TableName>`,
 *   `/index/<IndexName>` appended when the call names an index (a Query of an index is authorized on
 *   the index's ARN only).
 * - SSM: `ssm:GetParameter` on `arn:aws:ssm:<region>:<account>:parameter<Name>` (and GetParameters
 *   once per name).
 * - SQS: `sqs:<Operation>` on the queue ARN, from the QueueUrl's last segment.
 * - EventBridge: `events:PutEvents` on each entry's bus (EventBusName, a name or an ARN; `default`
 *   when absent).
 * Any other call throws: a new call must be mapped before it can be proven.
 */

export interface IamRequest {
  action: string;
  resource: string;
}

export interface CallLike {
  service: string;
  operation: string;
  input: Record<string, unknown>;
}

export interface Where {
  region: string;
  account: string;
}

const text = (input: Record<string, unknown>, key: string, call: CallLike): string => {
  const value = input[key];
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${call.service}:${call.operation} without ${key}: cannot name its resource`);
  }
  return value;
};

function dynamodb(call: CallLike, at: Where): IamRequest[] {
  const table = text(call.input, 'TableName', call);
  const tableArn = table.startsWith('arn:') ? table : `arn:aws:dynamodb:${at.region}:${at.account}:table/${table}`;
  const index = call.input.IndexName;
  const resource = typeof index === 'string' && index !== '' ? `${tableArn}/index/${index}` : tableArn;
  return [{ action: `dynamodb:${call.operation}`, resource }];
}

function ssm(call: CallLike, at: Where): IamRequest[] {
  const arn = (name: string) =>
    name.startsWith('arn:')
      ? name
      : `arn:aws:ssm:${at.region}:${at.account}:parameter${name.startsWith('/') ? '' : '/'}${name}`;
  if (call.operation === 'GetParameter')
    return [{ action: 'ssm:GetParameter', resource: arn(text(call.input, 'Name', call)) }];
  if (call.operation === 'GetParameters') {
    const names = call.input.Names;
    if (!Array.isArray(names)) throw new Error('ssm:GetParameters without Names');
    return names.map((n) => ({ action: 'ssm:GetParameters', resource: arn(String(n)) }));
  }
  throw new Error(`ssm:${call.operation} is not mapped to IAM`);
}

function sqs(call: CallLike, at: Where): IamRequest[] {
  const url = text(call.input, 'QueueUrl', call);
  const name = /\/([^/]+)\/?$/.exec(url)?.[1];
  if (!name) throw new Error(`sqs:${call.operation}: no queue name in ${url}`);
  return [{ action: `sqs:${call.operation}`, resource: `arn:aws:sqs:${at.region}:${at.account}:${name}` }];
}

function eventbridge(call: CallLike, at: Where): IamRequest[] {
  if (call.operation !== 'PutEvents') throw new Error(`eventbridge:${call.operation} is not mapped to IAM`);
  const entries = call.input.Entries;
  if (!Array.isArray(entries)) throw new Error('events:PutEvents without Entries');
  return entries.map((entry: Record<string, unknown>) => {
    const bus = typeof entry.EventBusName === 'string' && entry.EventBusName !== '' ? entry.EventBusName : 'default';
    const resource = bus.startsWith('arn:') ? bus : `arn:aws:events:${at.region}:${at.account}:event-bus/${bus}`;
    return { action: 'events:PutEvents', resource };
  });
}

const SERVICES: Record<string, (call: CallLike, at: Where) => IamRequest[]> = { dynamodb, ssm, sqs, eventbridge };

/** The IAM requests (action on resource) one call makes; throws for a call it cannot map. */
export function iamRequests(call: CallLike, at: Where): IamRequest[] {
  const map = SERVICES[call.service];
  if (!map) throw new Error(`service ${call.service} is not mapped to IAM`);
  return map(call, at);
}
