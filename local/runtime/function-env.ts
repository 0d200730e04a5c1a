/**
 * A function's environment when it runs locally: exactly the variables the stack sets on it (its
 * description in lib/functions.ts), the ones Lambda's runtime adds, and the ONLY local difference:
 * the standard AWS SDK variables pointing at the local AWS (local/aws). The handler has no "local mode".
 * Each function signs with its own access key id (`local-<function name>`), as each runs with its own
 * role in AWS: the local services record it as the call's principal, so every call is attributed to
 * the function that made it (test/policy/least-privilege-calls.test.ts).
 */
import type { FunctionDefinition } from '../../lib/functions';

/** What Lambda's runtime itself sets in every execution environment of `definition`. */
export function lambdaRuntimeVariables(
  definition: FunctionDefinition<string>,
  taskRoot: string,
): Record<string, string> {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    AWS_LAMBDA_FUNCTION_NAME: definition.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: definition.logGroup,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${Math.random().toString(16).slice(2).padEnd(12, '0')}`,
    AWS_LAMBDA_LOG_FORMAT: 'JSON',
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_EXECUTION_ENV: `AWS_Lambda_${definition.runtime}`,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: definition.handler,
    LANG: 'en_US.UTF-8',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
}

/** The access key id a function's local calls are signed with: its principal in the local call record. */
export function localAccessKeyId(definition: Pick<FunctionDefinition<string>, 'name'>): string {
  return `local-${definition.name}`;
}

export function functionEnvironment(
  definition: FunctionDefinition<string>,
  sdkEnv: Record<string, string>,
  taskRoot: string,
): Record<string, string> {
  // Local Node may be older than the Lambda runtime; keep the SDK's version notice out of the logs.
  const quiet = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  return {
    ...lambdaRuntimeVariables(definition, taskRoot),
    ...definition.environment,
    ...quiet,
    ...sdkEnv,
    AWS_ACCESS_KEY_ID: localAccessKeyId(definition),
  };
}
