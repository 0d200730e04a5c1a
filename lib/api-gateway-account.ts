/**
 * API Gateway's account-level CloudWatch role (needed for stage access and execution logs). There is
 * ONE such setting per account and region, shared by every stack there: only the stack with
 * manageApiGatewayAccount on declares it.
 *
 * All three resources are `retainOnDelete`: when Pulumi deletes one (`pulumi destroy`, removing it
 * from the program, turning manageApiGatewayAccount off, or the old half of a replacement) it drops
 * it from the stack's state and never calls the provider's Delete, so the role, its policy and the
 * setting stay in the account. Without it, destroying this stack would break logging for every REST
 * API in the region: the role would be deleted under the setting, and the setting itself reset, since
 * @pulumi/aws 7 (Terraform AWS provider v6) always resets the account settings when an `Account` is
 * deleted; the v6 `resetOnDelete` argument, off by default, is gone (AccountArgs has only
 * `cloudwatchRoleArn` and `region`), so a resource option is the only way to keep the setting.
 * The cost: what is retained outlives the stack (a replaced role, e.g. after a suffix change, stays
 * behind and the setting moves to the new one; the account is updated in place, never replaced).
 * To remove them for good, delete them by hand, or set retainOnDelete false, `pulumi up`, then destroy.
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
    { parent, retainOnDelete: true },
  );
  const attachment = new iam.RolePolicyAttachment(
    scope.name('apigateway-cloudwatch-policy'),
    { role: role.name, policyArn: API_GATEWAY_LOGS_POLICY_ARN },
    { parent, retainOnDelete: true },
  );
  const account = new apigateway.Account(
    scope.name('apigateway-account'),
    { cloudwatchRoleArn: role.arn },
    // API Gateway checks the role can write logs when the setting is made.
    { parent, dependsOn: [attachment], retainOnDelete: true },
  );
  return { role, attachment, account };
}
