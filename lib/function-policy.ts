/**
 * The function's IAM documents as plain data (ARNs may be Outputs). Least privilege: exactly the
 * calls the handler makes, on exactly this environment's resources.
 */
import * as pulumi from '@pulumi/pulumi';
import { TRACKING_TABLE } from '../lambda/contract';

type Arn = pulumi.Input<string>;

export const LAMBDA_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

export interface FunctionPolicyArns {
  tableArn: Arn;
  parameterArns: Arn[];
  queueArn: Arn;
  logGroupArn: Arn;
}

const join = (arn: Arn, suffix: string) => pulumi.interpolate`${arn}${suffix}`;

export function functionPolicyDocument(arns: FunctionPolicyArns) {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'TrackingTable',
        Effect: 'Allow',
        Action: ['dynamodb:PutItem', 'dynamodb:Query'],
        Resource: [arns.tableArn, join(arns.tableArn, `/index/${TRACKING_TABLE.statusIndex.name}`)],
      },
      {
        // The SecureString uses the AWS-managed aws/ssm key, whose key policy already lets SSM
        // decrypt for principals of this account: no kms:Decrypt statement is needed.
        Sid: 'OwnParameters',
        Effect: 'Allow',
        Action: ['ssm:GetParameter', 'ssm:GetParameters'],
        Resource: arns.parameterArns,
      },
      {
        // Parks refused writes, and lets Lambda deliver failed async events (DLQ) with this role.
        Sid: 'ParkedUpdatesQueue',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arns.queueArn,
      },
      {
        Sid: 'OwnLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: join(arns.logGroupArn, ':*'),
      },
      {
        // X-Ray has no resource-level permissions: '*' is the only valid resource.
        Sid: 'XRayTracing',
        Effect: 'Allow',
        Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        Resource: '*',
      },
    ],
  };
}
