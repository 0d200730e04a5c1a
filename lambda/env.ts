/**
 * What the function reads from its environment (names from FUNCTION_ENV in the contract), read once
 * at init. Endpoints are NOT here: the AWS SDK reads AWS_ENDPOINT_URL[_<SERVICE>] itself, so the same
 * bundle talks to AWS or to local engines without knowing which.
 */
import { FUNCTION_ENV, OBSERVABILITY, TRACKING_TABLE, parameterNames } from './contract';

export interface RuntimeEnv {
  /** The tracking table; undefined = misconfigured (requests that need it answer 500). */
  tableName?: string;
  environment: string;
  configParameter?: string;
  flagsParameter?: string;
  queueUrl?: string;
  /** The `Idempotency-Key` records' table; undefined = a request with the header answers 500. */
  idempotencyTableName?: string;
  statusShardCount: number;
  serviceName: string;
  metricsNamespace: string;
  /** Values that were present but unusable (the documented default was taken instead). */
  problems: string[];
}

const MAX_SHARDS = 1000;

export function readRuntimeEnv(env: NodeJS.ProcessEnv = process.env): RuntimeEnv {
  const problems: string[] = [];
  const text = (key: string) => {
    const value = env[key]?.trim();
    return value ? value : undefined;
  };
  const environment = text(FUNCTION_ENV.environment) ?? 'dev';
  const fallbackNames = text(FUNCTION_ENV.environment) ? parameterNames(environment) : undefined;

  let statusShardCount: number = TRACKING_TABLE.defaultStatusShardCount;
  const rawShards = text(FUNCTION_ENV.statusShardCount);
  if (rawShards !== undefined) {
    const parsed = Number(rawShards);
    if (Number.isInteger(parsed) && parsed >= 1 && parsed <= MAX_SHARDS) statusShardCount = parsed;
    else
      problems.push(`${FUNCTION_ENV.statusShardCount}=${JSON.stringify(rawShards)} is not an integer 1..${MAX_SHARDS}`);
  }
  const tableName = text(FUNCTION_ENV.tableName);
  if (!tableName) problems.push(`${FUNCTION_ENV.tableName} is not set`);

  return {
    tableName,
    environment,
    configParameter: text(FUNCTION_ENV.configParameter) ?? fallbackNames?.config,
    flagsParameter: text(FUNCTION_ENV.flagsParameter) ?? fallbackNames?.flags,
    queueUrl: text(FUNCTION_ENV.queueUrl),
    idempotencyTableName: text(FUNCTION_ENV.idempotencyTable),
    statusShardCount,
    serviceName: text('POWERTOOLS_SERVICE_NAME') ?? OBSERVABILITY.serviceName,
    metricsNamespace: text('POWERTOOLS_METRICS_NAMESPACE') ?? OBSERVABILITY.metricsNamespace,
    problems,
  };
}

/**
 * What the stream consumer reads: the table, the environment, the StatusIndex shard count, the flags
 * parameter (real_time_notifications) and the bus it puts status-change events on (no config, no queue).
 */
export interface ConsumerEnv {
  /** The tracking table; undefined = misconfigured (every record fails, and is retried). */
  tableName?: string;
  environment: string;
  statusShardCount: number;
  /** The feature flags parameter (same name and fallback as the API function's). */
  flagsParameter?: string;
  /** The bus for status-change events; undefined = misconfigured (with the flag on, their records fail). */
  eventBusName?: string;
  serviceName: string;
  metricsNamespace: string;
  /** Values that were present but unusable (the documented default was taken instead). */
  problems: string[];
}

/** The consumer's environment: the same variables, defaults and checks as readRuntimeEnv, its own service name. */
export function readConsumerEnv(env: NodeJS.ProcessEnv = process.env): ConsumerEnv {
  const { tableName, environment, statusShardCount, flagsParameter, metricsNamespace, problems } = readRuntimeEnv(env);
  const serviceName = env.POWERTOOLS_SERVICE_NAME?.trim() || OBSERVABILITY.consumerServiceName;
  const eventBusName = env[FUNCTION_ENV.eventBusName]?.trim() || undefined;
  if (!eventBusName) problems.push(`${FUNCTION_ENV.eventBusName} is not set`);
  return {
    tableName,
    environment,
    statusShardCount,
    flagsParameter,
    eventBusName,
    serviceName,
    metricsNamespace,
    problems,
  };
}
