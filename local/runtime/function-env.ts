/**
 * The function's environment when it runs locally: the variables the stack sets on the Lambda
 * (lib/function.ts: the contract's FUNCTION_ENV plus Powertools), the ones Lambda's runtime adds,
 * and the ONLY local difference: the standard AWS SDK endpoint variables pointing at the local
 * engines (and throwaway credentials they ignore). The handler has no "local mode".
 */
import { FUNCTION_ENV, OBSERVABILITY, parameterNames } from '../../lambda/contract';
import { LAMBDA_HANDLER } from '../../lib/bundle';
import type { TapStackArgs } from '../../lib/config';
import { resourceNames } from '../../lib/names';

export interface LocalEndpoints {
  dynamodb: string;
  ssm: string;
  sqs: string;
}

/** What any AWS SDK client (the function, `npm run replay`) needs to reach the local engines. */
export function localSdkEnv(region: string, endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SSM: endpoints.ssm,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
  };
}

export function functionEnvironment(input: {
  args: TapStackArgs;
  region: string;
  endpoints: LocalEndpoints;
  queueUrl: string;
  taskRoot: string;
}): Record<string, string> {
  const { args, region } = input;
  const suffix = args.environmentSuffix;
  const names = resourceNames(suffix);
  const parameters = parameterNames(suffix);
  const stackVariables: Record<string, string> = {
    [FUNCTION_ENV.tableName]: names.table,
    [FUNCTION_ENV.environment]: suffix,
    [FUNCTION_ENV.configParameter]: parameters.config,
    [FUNCTION_ENV.endpointParameter]: parameters.endpoint,
    [FUNCTION_ENV.flagsParameter]: parameters.flags,
    [FUNCTION_ENV.queueUrl]: input.queueUrl,
    [FUNCTION_ENV.statusShardCount]: String(args.statusShardCount),
    POWERTOOLS_SERVICE_NAME: OBSERVABILITY.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: OBSERVABILITY.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  const runtimeVariables: Record<string, string> = {
    AWS_LAMBDA_FUNCTION_NAME: names.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(args.lambdaMemory),
    AWS_LAMBDA_LOG_GROUP_NAME: names.functionLogGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${Math.random().toString(16).slice(2).padEnd(12, '0')}`,
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    LAMBDA_TASK_ROOT: input.taskRoot,
    _HANDLER: LAMBDA_HANDLER,
    LANG: 'en_US.UTF-8',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  // Local Node may be older than the Lambda runtime (22); keep the SDK's version notice out of the logs.
  const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  return { ...runtimeVariables, ...stackVariables, ...quiet, ...localSdkEnv(region, input.endpoints) };
}
