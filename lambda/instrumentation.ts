/**
 * What both functions build at init the same way: Powertools Logger, Metrics and Tracer for their
 * service, the traced DynamoDB document client, and the SSM settings (config and/or flags through
 * Powertools Parameters, cached PARAMETER_MAX_AGE_SECONDS, with the documented fallbacks, logged).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientConfig } from './aws-clients';
import { PARAMETER_MAX_AGE_SECONDS, RuntimeSettings } from './settings';

export function instrumentation(runtime: {
  serviceName: string;
  metricsNamespace: string;
  environment: string;
  problems: string[];
}) {
  const logger = new Logger({ serviceName: runtime.serviceName, persistentKeys: { environment: runtime.environment } });
  const metrics = new Metrics({
    namespace: runtime.metricsNamespace,
    serviceName: runtime.serviceName,
    defaultDimensions: { environment: runtime.environment },
  });
  // SDK calls are traced through the captured clients; no global http patching (cheaper cold start).
  const tracer = new Tracer({ serviceName: runtime.serviceName, captureHTTPsRequests: false });
  for (const problem of runtime.problems) logger.error('function configuration problem', { problem });
  const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(awsClientConfig()));
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const count = (metric: string, value = 1) => metrics.addMetric(metric, MetricUnit.Count, value);
  return { logger, metrics, tracer, dynamo, documents, count };
}

/** The settings from SSM; `onFallback` runs once per fallback (after it is logged), e.g. to count it. */
export function ssmSettings(
  { tracer, logger }: Pick<ReturnType<typeof instrumentation>, 'tracer' | 'logger'>,
  parameters: { configParameter?: string; flagsParameter?: string },
  onFallback: () => void = () => undefined,
): RuntimeSettings {
  const ssm = new SSMProvider({ awsSdkV3Client: tracer.captureAWSv3Client(new SSMClient(awsClientConfig())) });
  return new RuntimeSettings({
    ...parameters,
    read: (name) => ssm.get(name, { maxAge: PARAMETER_MAX_AGE_SECONDS, transform: 'json' }),
    onFallback: ({ parameter, using, error }) => {
      logger.warn(
        `SSM parameter unavailable; serving ${using === 'last-known' ? 'its last known value' : 'the documented defaults'}`,
        { parameter, using, error: error instanceof Error ? error : String(error) },
      );
      onFallback();
    },
  });
}
