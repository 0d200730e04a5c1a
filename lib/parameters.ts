/**
 * The SSM parameters the function reads at runtime: its config, the table "endpoint" and the
 * feature flags. Values come from stack config (TapStackArgs), names from the contract.
 */
import * as pulumi from '@pulumi/pulumi';
import * as ssm from '@pulumi/aws/ssm';
import { parameterNames } from '../lambda/contract';
import { apiConfigValue, stackTags, type TapStackArgs } from './config';

export interface Parameters {
  config: ssm.Parameter;
  endpoint: ssm.Parameter;
  flags: ssm.Parameter;
}

export function createParameters(parent: pulumi.Resource, args: TapStackArgs, tableName: pulumi.Input<string>): Parameters {
  const names = parameterNames(args.environmentSuffix);
  const tags = stackTags(args);
  const parameter = (logicalName: string, props: { name: string; type: string; value: pulumi.Input<string>; description: string }) =>
    new ssm.Parameter(logicalName, { ...props, tier: 'Standard', tags }, { parent });

  return {
    config: parameter('config-parameter', {
      name: names.config,
      type: 'String',
      value: JSON.stringify(apiConfigValue(args)),
      description: 'Tracking API runtime config (max_request_size, timeout, rate_limit)',
    }),
    endpoint: parameter('endpoint-parameter', {
      name: names.endpoint,
      type: 'SecureString',
      value: tableName,
      description: 'Tracking table name',
    }),
    flags: parameter('flags-parameter', {
      name: names.flags,
      type: 'String',
      value: JSON.stringify(args.featureFlags),
      description: 'Tracking API feature flags',
    }),
  };
}
