/**
 * The tracking function: its role and inline policy, its log group, and the Lambda itself, shipping
 * the esbuild bundle built while the program runs (identical sources -> identical bytes -> no diff).
 */
import * as pulumi from '@pulumi/pulumi';
import * as cloudwatch from '@pulumi/aws/cloudwatch';
import * as iam from '@pulumi/aws/iam';
import * as lambda from '@pulumi/aws/lambda';
import { FUNCTION_ENV, OBSERVABILITY } from '../lambda/contract';
import { BUNDLE_FILE, LAMBDA_HANDLER, buildBundle } from './bundle';
import { stackTags, type TapStackArgs } from './config';
import { resourceNames } from './names';
import { LAMBDA_TRUST_POLICY, functionPolicyDocument } from './function-policy';
import type { Parameters } from './parameters';
import type { Storage } from './storage';

export const LAMBDA_RUNTIME = 'nodejs22.x';
export const LAMBDA_ARCHITECTURE = 'arm64';

export interface TrackingFunction {
  fn: lambda.Function;
  role: iam.Role;
  policy: iam.RolePolicy;
  logGroup: cloudwatch.LogGroup;
}

export function functionName(args: TapStackArgs): string {
  return resourceNames(args.environmentSuffix).functionName;
}

export function createFunction(
  parent: pulumi.Resource,
  args: TapStackArgs,
  deps: { storage: Storage; parameters: Parameters },
): TrackingFunction {
  const suffix = args.environmentSuffix;
  const names = resourceNames(suffix);
  const tags = stackTags(args);
  const { table, queue } = deps.storage;
  const { config, endpoint, flags } = deps.parameters;

  // Created by the stack (retention, tags, deleted with the stack) and attached through
  // loggingConfig below, so the function logs exactly here whatever its name.
  const logGroup = new cloudwatch.LogGroup(
    'function-log-group',
    { name: names.functionLogGroup, retentionInDays: args.logRetentionDays, tags },
    { parent },
  );

  const role = new iam.Role(
    'function-role',
    { name: names.functionRole, assumeRolePolicy: JSON.stringify(LAMBDA_TRUST_POLICY), tags },
    { parent },
  );

  const policy = new iam.RolePolicy(
    'function-policy',
    {
      name: names.functionPolicy,
      role: role.name,
      policy: pulumi.jsonStringify(
        functionPolicyDocument({
          tableArn: table.arn,
          parameterArns: [config.arn, endpoint.arn, flags.arn],
          queueArn: queue.arn,
          logGroupArn: logGroup.arn,
        }),
      ),
    },
    { parent },
  );

  // Typed on FUNCTION_ENV's keys: a variable added to the contract fails the type check until set here.
  const contractEnv: { [K in keyof typeof FUNCTION_ENV]: pulumi.Input<string> } = {
    tableName: table.name,
    environment: suffix,
    configParameter: config.name,
    endpointParameter: endpoint.name,
    flagsParameter: flags.name,
    queueUrl: queue.url,
    statusShardCount: String(args.statusShardCount),
  };
  const variables: Record<string, pulumi.Input<string>> = {
    POWERTOOLS_SERVICE_NAME: OBSERVABILITY.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: OBSERVABILITY.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  for (const key of Object.keys(contractEnv) as (keyof typeof FUNCTION_ENV)[]) {
    variables[FUNCTION_ENV[key]] = contractEnv[key];
  }

  const fn = new lambda.Function(
    'function',
    {
      name: functionName(args),
      description: 'Logistics tracking API (POST /track, GET /status)',
      runtime: LAMBDA_RUNTIME,
      architectures: [LAMBDA_ARCHITECTURE],
      handler: LAMBDA_HANDLER,
      code: new pulumi.asset.AssetArchive({ [BUNDLE_FILE]: new pulumi.asset.StringAsset(buildBundle().code) }),
      role: role.arn,
      memorySize: args.lambdaMemory,
      // Config validation keeps this below API Gateway's 29 s integration timeout.
      timeout: args.lambdaTimeout,
      reservedConcurrentExecutions: args.lambdaReservedConcurrency,
      tracingConfig: { mode: 'Active' },
      loggingConfig: {
        logFormat: 'JSON',
        logGroup: logGroup.name,
        applicationLogLevel: 'INFO',
        systemLogLevel: 'WARN',
      },
      // Only catches failed ASYNCHRONOUS invocations. API Gateway invokes synchronously, so the
      // handler itself parks writes DynamoDB refused on this same queue.
      deadLetterConfig: { targetArn: queue.arn },
      environment: { variables },
      tags,
    },
    // The policy must exist before the first invocation writes logs or traces.
    { parent, dependsOn: [policy] },
  );

  return { fn, role, policy, logGroup };
}
