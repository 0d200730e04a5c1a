/**
 * The one description of each Lambda function: name, entry, handler, runtime, architecture, memory,
 * timeout, log group and environment. Pure data (no Pulumi): the stack deploys it (lib/function.ts),
 * the local runtime runs it (local/runtime/function-env.ts), and the tests, the benchmark and the
 * policy fixtures build their functions from it. A second function is one more entry here.
 *
 * `refs` are the resources a function's environment names: Pulumi Outputs in the stack, plain
 * strings locally, so one description serves both.
 */
import { FUNCTION_ENV, OBSERVABILITY } from '../lambda/contract';
import { LAMBDA_ARCHITECTURE, LAMBDA_HANDLER, LAMBDA_RUNTIME } from './bundle';
import type { TapStackArgs } from './config';
import { resourceNames, type FunctionKey } from './names';

/** What the environments refer to, created by the stack (or by the local AWS). */
export interface FunctionRefs<T> {
  tableName: T;
  idempotencyTableName: T;
  queueUrl: T;
  configParameter: T;
  flagsParameter: T;
  eventBusName: T;
}

export interface FunctionDefinition<T> {
  key: FunctionKey;
  name: string;
  description: string;
  /** Source entry, relative to the project root (bundled by lib/bundle.ts). */
  entry: string;
  handler: string;
  runtime: typeof LAMBDA_RUNTIME;
  architecture: typeof LAMBDA_ARCHITECTURE;
  memoryMb: number;
  timeoutSeconds: number;
  /** -1: no reservation. */
  reservedConcurrency: number;
  logGroup: string;
  /** Exactly the variables the stack sets on the function. */
  environment: Record<string, T | string>;
}

/** Powertools' own settings: the function's service name, the shared namespace and log level. */
const powertoolsEnv = (serviceName: string) => ({
  POWERTOOLS_SERVICE_NAME: serviceName,
  POWERTOOLS_METRICS_NAMESPACE: OBSERVABILITY.metricsNamespace,
  POWERTOOLS_LOG_LEVEL: 'INFO',
});

/** A stream batch has no API Gateway deadline; this bounds one batch of StreamBatchSize records. */
const CONSUMER_TIMEOUT_SECONDS = 60;

/** What does not depend on the stack's settings: the source each function is built from. */
export const FUNCTIONS: Record<FunctionKey, { entry: string; description: string }> = {
  api: {
    entry: 'lambda/handler.ts',
    description: 'Logistics tracking API (POST /track, POST /track/batch, GET /status, GET /shipments)',
  },
  consumer: {
    entry: 'lambda/consumer.ts',
    description: 'Tracking projection: current shipment state from the table stream',
  },
};

export function functionDefinitions<T>(
  args: TapStackArgs,
  refs: FunctionRefs<T>,
): Record<FunctionKey, FunctionDefinition<T>> {
  const names = resourceNames(args.environmentSuffix);
  // Typed on FUNCTION_ENV's keys: a variable added to the contract fails the type check until set here.
  const contractEnv: { [K in keyof typeof FUNCTION_ENV]: T | string } = {
    tableName: refs.tableName,
    environment: args.environmentSuffix,
    configParameter: refs.configParameter,
    flagsParameter: refs.flagsParameter,
    queueUrl: refs.queueUrl,
    statusShardCount: String(args.statusShardCount),
    eventBusName: refs.eventBusName,
    idempotencyTable: refs.idempotencyTableName,
  };
  const environment = (keys: (keyof typeof FUNCTION_ENV)[], serviceName: string) => ({
    ...Object.fromEntries(keys.map((key) => [FUNCTION_ENV[key], contractEnv[key]])),
    ...powertoolsEnv(serviceName),
  });

  const api = names.function('api');
  const consumer = names.function('consumer');
  return {
    api: {
      key: 'api',
      name: api.name,
      ...FUNCTIONS.api,
      handler: LAMBDA_HANDLER,
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memoryMb: args.lambdaMemory,
      // Config validation keeps this below API Gateway's 29 s integration timeout.
      timeoutSeconds: args.lambdaTimeout,
      reservedConcurrency: args.lambdaReservedConcurrency,
      logGroup: api.logGroup,
      environment: environment(
        [
          'tableName',
          'environment',
          'configParameter',
          'flagsParameter',
          'queueUrl',
          'statusShardCount',
          'idempotencyTable',
        ],
        OBSERVABILITY.serviceName,
      ),
    },
    consumer: {
      key: 'consumer',
      name: consumer.name,
      ...FUNCTIONS.consumer,
      handler: LAMBDA_HANDLER,
      runtime: LAMBDA_RUNTIME,
      architecture: LAMBDA_ARCHITECTURE,
      memoryMb: args.lambdaMemory,
      timeoutSeconds: CONSUMER_TIMEOUT_SECONDS,
      reservedConcurrency: args.consumerReservedConcurrency,
      logGroup: consumer.logGroup,
      // The table and the shard count of the index it writes; the flags (real_time_notifications) and
      // the bus it puts status-change events on. It parks nothing and reads no API config.
      environment: environment(
        ['tableName', 'environment', 'statusShardCount', 'flagsParameter', 'eventBusName'],
        OBSERVABILITY.consumerServiceName,
      ),
    },
  };
}
