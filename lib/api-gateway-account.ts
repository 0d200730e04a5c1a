/**
 * API Gateway's account-level CloudWatch role (needed for stage access and execution logs). There is
 * ONE such setting per account and region, shared by every stack there: only the stack with
 * manageApiGatewayAccount on declares it.
 */
import * as apigateway from '@pulumi/aws/apigateway';
import * as iam from '@pulumi/aws/iam';
import type { TapStackArgs } from './config';
import { resourceNames } from './names';
import type { Scope } from './scope';

const API_GATEWAY_LOGS_POLICY_ARN = 'arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs';

export interface ApiGatewayAccount {
  role: iam.Role;
  attachment: iam.RolePolicyAttachment;
  account: apigateway.Account;
}

export function createApiGatewayAccount(scope: Scope, args: TapStackArgs): ApiGatewayAccount {
  const parent = scope.parent;
  const role = new iam.Role(
    scope.name('apigateway-cloudwatch-role'),
    {
      name: resourceNames(args.environmentSuffix).apiGatewayCloudWatchRole,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    },
    { parent },
  );
  const attachment = new iam.RolePolicyAttachment(
    scope.name('apigateway-cloudwatch-policy'),
    { role: role.name, policyArn: API_GATEWAY_LOGS_POLICY_ARN },
    { parent },
  );
  const account = new apigateway.Account(
    scope.name('apigateway-account'),
    { cloudwatchRoleArn: role.arn },
    // API Gateway checks the role can write logs when the setting is made.
    { parent, dependsOn: [attachment] },
  );
  return { role, attachment, account };
}
