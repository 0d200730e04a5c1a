/**
 * The SSM parameters the function reads at runtime: its config, the table "endpoint" and the
 * feature flags. Values come from stack config (TapStackArgs), names from the contract.
 */
import * as pulumi from '@pulumi/pulumi';
import * as ssm from '@pulumi/aws/ssm';
import { stackTags, type TapStackArgs } from './config';
import { parameterDefinitions, type ParameterDefinition } from './parameter-definitions';

export interface Parameters {
  config: ssm.Parameter;
  endpoint: ssm.Parameter;
  flags: ssm.Parameter;
}

export function createParameters(parent: pulumi.Resource, args: TapStackArgs, tableName: pulumi.Input<string>): Parameters {
  const tags = stackTags(args);
  const definitions = parameterDefinitions(args, tableName);
  const parameter = (logicalName: string, definition: ParameterDefinition<pulumi.Input<string>>) =>
    new ssm.Parameter(logicalName, { ...definition, tier: 'Standard', tags }, { parent });

  return {
    config: parameter('config-parameter', definitions.config),
    endpoint: parameter('endpoint-parameter', definitions.endpoint),
    flags: parameter('flags-parameter', definitions.flags),
  };
}
