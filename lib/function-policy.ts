/**
 * The functions' IAM documents as plain data (ARNs may be Outputs). Least privilege: exactly the
 * calls each function's code makes (and, for the stream consumer, the calls Lambda's event source
 * mapping makes with its role), on exactly this environment's resources.
 */
import * as pulumi from '@pulumi/pulumi';
import { TRACKING_TABLE } from '../lambda/contract';

type Arn = pulumi.Input<string>;

export const LAMBDA_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

const join = (arn: Arn, suffix: string) => pulumi.interpolate`${arn}${suffix}`;

/** What every function needs: writing to its own log group, and sending X-Ray traces. */
function logsAndTracing(logGroupArn: Arn) {
  return [
    {
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: join(logGroupArn, ':*'),
    },
    {
      // X-Ray has no resource-level permissions: '*' is the only valid resource.
      Sid: 'XRayTracing',
      Effect: 'Allow',
      Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
      Resource: '*',
    },
  ];
}

export interface FunctionPolicyArns {
  tableArn: Arn;
  /** The `Idempotency-Key` records' table (lambda/idempotency.ts, Powertools Idempotency). */
  idempotencyTableArn: Arn;
  /** The parameters the API function's code reads: the config and the flags (not the endpoint). */
  parameterArns: Arn[];
  queueArn: Arn;
  /** The function's own dead-letter queue (Lambda delivers failed async events with the function's role). */
  deadLetterQueueArn: Arn;
  logGroupArn: Arn;
}

/** The API function (lambda/handler.ts): conditional puts, queries of the table and its index, idempotency records, SSM, parking. */
export function functionPolicyDocument(arns: FunctionPolicyArns) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        // Conditional puts of history items: on the table only (a put never names an index).
        Sid: 'TrackingTable',
        Effect: 'Allow',
        Action: 'dynamodb:PutItem',
        Resource: arns.tableArn,
      },
      {
        // GET /status queries the table, GET /shipments its StatusIndex.
        Sid: 'TrackingQueries',
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: [arns.tableArn, join(arns.tableArn, `/index/${TRACKING_TABLE.statusIndex.name}`)],
      },
      {
        // Powertools Idempotency: a conditional put of the in-progress record, a read when the put
        // finds one (this engine's answer may lack the existing item), the completed answer as an
        // update, the delete of a record whose request failed (its retry must run again).
        Sid: 'IdempotencyRecords',
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        Resource: arns.idempotencyTableArn,
      },
      {
        // settings.ts reads the config and the flags, one GetParameter each (String parameters: no
        // decryption). Not the endpoint parameter: it is published for other consumers, and no code here reads it.
        Sid: 'OwnParameters',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: arns.parameterArns,
      },
      {
        // Parks refused writes.
        Sid: 'ParkedUpdatesQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arns.queueArn,
      },
      {
        // Lambda delivers the function's failed asynchronous events to its DLQ with this role.
        Sid: 'FunctionDeadLetterQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arns.deadLetterQueueArn,
      },
      ...logsAndTracing(arns.logGroupArn),
    ],
  };
}

export interface ConsumerPolicyArns {
  tableArn: Arn;
  /** The table's stream (table.streamArn): the only stream the mapping may read. */
  streamArn: Arn;
  /** The mapping's on-failure destination. */
  failureQueueArn: Arn;
  /** The stack's bus (lib/events.ts): the only bus it may put status-change events on. */
  eventBusArn: Arn;
  /** The feature flags parameter (real_time_notifications): the only parameter it may read. */
  flagsParameterArn: Arn;
  logGroupArn: Arn;
}

/**
 * The stream consumer (lambda/consumer.ts). Its code makes a conditional UpdateItem of a state
 * record, reads the feature flags (a String parameter: no decryption), and, while
 * real_time_notifications is on, puts status-change events on the stack's bus. The rest is what
 * Lambda does with the function's role for its event source mapping: poll the table's stream
 * (checked when the mapping is created), and send a record of each batch it gives up on to the
 * failure queue.
 */
export function consumerPolicyDocument(arns: ConsumerPolicyArns) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TableStream',
        Effect: 'Allow',
        Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
        Resource: arns.streamArn,
      },
      {
        Sid: 'StateRecords',
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: arns.tableArn,
      },
      {
        Sid: 'StreamFailureQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arns.failureQueueArn,
      },
      {
        Sid: 'FeatureFlags',
        Effect: 'Allow',
        Action: 'ssm:GetParameter',
        Resource: arns.flagsParameterArn,
      },
      {
        Sid: 'StatusEvents',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: arns.eventBusArn,
      },
      ...logsAndTracing(arns.logGroupArn),
    ],
  };
}
