/**
 * Benchmark baseline for the API function: `minimal` plus every library the function bundles, set up
 * as their documentation shows, and nothing of ours (no validation, routing, cursors or parking
 * logic). Per request, as the libraries' documentation instruments a handler by hand: Logger with
 * the Lambda context, the correlation id and one line; Tracer with the SDK clients captured and a
 * subsegment for the handler (cold-start and service annotations, the response or the error as
 * metadata); Metrics with one count and the cold-start metric; the SSM config and flags through
 * Powertools Parameters (cached 300 s, JSON). Powertools Idempotency is configured at init (DynamoDB
 * persistence) and used for a request carrying the header, which the benchmark's requests do not;
 * the SQS client is loaded on first use, as the function loads it. The gap between ours and this is
 * what our code costs; the gap between this and `minimal` is what the libraries cost.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { FUNCTION_ENV, IDEMPOTENCY, METRICS, OBSERVABILITY } from '../../lambda/contract';
import { type BaselineEvent, dynamoWork } from './dynamo-work';

const env = process.env;
const table = env[FUNCTION_ENV.tableName];
const { serviceName, metricsNamespace } = OBSERVABILITY;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: metricsNamespace, serviceName });
const tracer = new Tracer({ serviceName, captureHTTPsRequests: false });
const dynamo = tracer.captureAWSv3Client(new DynamoDBClient({}));
const documents = DynamoDBDocumentClient.from(dynamo);
const ssm = new SSMProvider({ awsSdkV3Client: tracer.captureAWSv3Client(new SSMClient({})) });
const parameter = (name: string | undefined) => (name ? ssm.get(name, { maxAge: 300, transform: 'json' }) : undefined);
const idempotent = makeIdempotent((event: BaselineEvent & { key: string }) => dynamoWork(documents, table, event), {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: env[FUNCTION_ENV.idempotencyTable] ?? '',
    awsSdkV3Client: dynamo,
  }),
  config: new IdempotencyConfig({ eventKeyJmesPath: 'key', expiresAfterSeconds: IDEMPOTENCY.ttlSeconds }),
});
let sqs: Promise<unknown> | undefined;

export const handler = async (event: BaselineEvent & { headers?: Record<string, string> }, context: Context) => {
  logger.addContext(context);
  logger.setCorrelationId(event.requestContext.requestId);
  metrics.captureColdStartMetric(context.functionName);
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${env._HANDLER}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    await Promise.all([parameter(env[FUNCTION_ENV.configParameter]), parameter(env[FUNCTION_ENV.flagsParameter])]);
    const key = event.headers?.[IDEMPOTENCY.header];
    const response = key ? await idempotent({ ...event, key }) : await dynamoWork(documents, table, event);
    tracer.addResponseAsMetadata(response, env._HANDLER);
    metrics.addMetric(
      event.httpMethod === 'POST' ? METRICS.updateStored : METRICS.statusRetrieved,
      MetricUnit.Count,
      1,
    );
    logger.info('request completed', { status_code: response.statusCode });
    return response;
  } catch (error) {
    tracer.addErrorAsMetadata(error as Error);
    // As the function parks a refused write: the SQS client is loaded on first use only.
    sqs ??= import('@aws-sdk/client-sqs').then(({ SQSClient }) => new SQSClient({}));
    throw error;
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
    metrics.publishStoredMetrics();
  }
};
