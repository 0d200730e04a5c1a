/**
 * A Lambda function from its description (lib/functions.ts): its role and inline policy, its log
 * group, and the function itself, shipping the esbuild bundle built while the program runs
 * (identical sources -> identical bytes -> no diff).
 */
import * as pulumi from '@pulumi/pulumi';
import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as iam from '@pulumi/aws/iam';
import * as lambda from '@pulumi/aws/lambda';
import { BUNDLE_FILE, buildBundle } from './bundle';
import type { TapStackArgs } from './config';
import { LAMBDA_TRUST_POLICY } from './function-policy';
import type { FunctionDefinition } from './functions';
import { resourceNames } from './names';
import type { Scope } from './scope';

export interface DeployedFunction {
  fn: lambda.Function;
  role: iam.Role;
  policy: iam.RolePolicy;
  logGroup: cloudwatch.LogGroup;
}

export function createFunction(
  scope: Scope,
  args: TapStackArgs,
  definition: FunctionDefinition<pulumi.Input<string>>,
  options: {
    /** The role's inline policy, given the function's own log group ARN. */
    policy: (logGroupArn: pulumi.Output<string>) => object;
    /**
     * Where Lambda sends failed ASYNCHRONOUS invocations. None for a function only an event source
     * mapping invokes: the mapping's on-failure destination keeps what it gives up on.
     */
    deadLetterArn?: pulumi.Input<string>;
  },
): DeployedFunction {
  const names = resourceNames(args.environmentSuffix).function(definition.key);
  const parent = scope.parent;
  const child = (part?: string) =>
    scope.name(part ? `${definition.key}-function-${part}` : `${definition.key}-function`);

  // Created by the stack (retention, tags, deleted with the stack) and attached through
  // loggingConfig below, so the function logs exactly here whatever its name.
  const logGroup = new cloudwatch.LogGroup(
    child('log-group'),
    { name: definition.logGroup, retentionInDays: args.logRetentionDays },
    { parent },
  );

  const role = new iam.Role(
    child('role'),
    { name: names.role, assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY) },
    { parent },
  );

  const policy = new iam.RolePolicy(
    child('policy'),
    { name: names.policy, role: role.name, policy: pulumi.jsonStringify(options.policy(logGroup.arn)) },
    { parent },
  );

  const fn = new lambda.Function(
    child(),
    {
      name: definition.name,
      description: definition.description,
      runtime: definition.runtime,
      architectures: [definition.architecture],
      handler: definition.handler,
      code: new pulumi.asset.AssetArchive({
        [BUNDLE_FILE]: new pulumi.asset.StringAsset(buildBundle(definition.entry).code),
      }),
      role: role.arn,
      memorySize: definition.memoryMb,
      timeout: definition.timeoutSeconds,
      reservedConcurrentExecutions: definition.reservedConcurrency,
      tracingConfig: { mode: 'Active' },
      loggingConfig: {
        logFormat: 'JSON',
        logGroup: logGroup.name,
        applicationLogLevel: 'INFO',
        systemLogLevel: 'WARN',
      },
      deadLetterConfig: options.deadLetterArn ? { targetArn: options.deadLetterArn } : undefined,
      environment: { variables: definition.environment },
    },
    // The policy must exist before the first invocation writes logs or traces.
    { parent, dependsOn: [policy] },
  );

  return { fn, role, policy, logGroup };
}
