/**
 * The SSM parameters the function reads at runtime: its config, the table "endpoint" and the
 * feature flags. Values come from stack config (TapStackArgs), names from the contract.
 */
import * as pulumi from '@pulumi/pulumi';
import * as ssm from '@pulumi/aws/ssm';
import type { TapStackArgs } from './config';
import { parameterDefinitions, type ParameterDefinition } from './parameter-definitions';
import type { Scope } from './scope';

export interface Parameters {
  config: ssm.Parameter;
  endpoint: ssm.Parameter;
  flags: ssm.Parameter;
}

export function createParameters(scope: Scope, args: TapStackArgs, tableName: pulumi.Input<string>): Parameters {
  const definitions = parameterDefinitions(args, tableName);
  const parameter = (logicalName: string, definition: ParameterDefinition<pulumi.Input<string>>) =>
    new ssm.Parameter(scope.name(logicalName), { ...definition, tier: 'Standard' }, { parent: scope.parent });

  return {
    config: parameter('config-parameter', definitions.config),
    endpoint: parameter('endpoint-parameter', definitions.endpoint),
    flags: parameter('flags-parameter', definitions.flags),
  };
}
