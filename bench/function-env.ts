/** The function's environment for benchmark runs: the names the stack sets, with benchmark values. */
import {
  DEFAULT_API_CONFIG,
  DEFAULT_FEATURE_FLAGS,
  FUNCTION_ENV,
  OBSERVABILITY,
  TRACKING_TABLE,
  parameterNames,
} from '../lambda/contract';

const ENVIRONMENT = 'bench';

export function functionEnvironment() {
  const names = parameterNames(ENVIRONMENT);
  const tableName = `tracking-${ENVIRONMENT}`;
  const parameters: Record<string, string> = {
    [names.config]: JSON.stringify(DEFAULT_API_CONFIG),
    [names.endpoint]: tableName,
    [names.flags]: JSON.stringify(DEFAULT_FEATURE_FLAGS),
  };
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-west-2',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    [FUNCTION_ENV.tableName]: tableName,
    [FUNCTION_ENV.environment]: ENVIRONMENT,
    [FUNCTION_ENV.configParameter]: names.config,
    [FUNCTION_ENV.endpointParameter]: names.endpoint,
    [FUNCTION_ENV.flagsParameter]: names.flags,
    [FUNCTION_ENV.queueUrl]: 'http://127.0.0.1:9/123456789012/parked-bench',
    [FUNCTION_ENV.statusShardCount]: String(TRACKING_TABLE.defaultStatusShardCount),
    POWERTOOLS_SERVICE_NAME: OBSERVABILITY.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: OBSERVABILITY.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  const sampleItem = {
    tracking_id: { S: 'BENCH-1' },
    timestamp: { N: '1764000000000' },
    status: { S: 'in_transit' },
    status_shard: { S: 'in_transit#3' },
    location: { M: { lat: { N: '47.6' }, lng: { N: '-122.3' } } },
    environment: { S: ENVIRONMENT },
    created_at: { S: '2025-11-24T16:00:00.000Z' },
  };
  return { env, parameters, sampleItem };
}
