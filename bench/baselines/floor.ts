/**
 * Benchmark baseline: `minimal` plus the libraries the handler is required to use (issue #3), set
 * up the way the handler sets them up, and nothing of ours (no validation, routing, cursors or
 * parking). Per request: Logger with the correlation id and one line, Tracer with both SDK clients
 * captured, Metrics with one count and the cold-start metric, the SSM config and flags through
 * Powertools Parameters (cached 300 s, JSON). The gap between ours and this is what our code costs;
 * the gap between this and `minimal` is what the required libraries cost.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FUNCTION_ENV, METRICS, OBSERVABILITY } from '../../lambda/contract';
import { type BaselineEvent, dynamoWork } from './dynamo-work';

const env = process.env;
const table = env[FUNCTION_ENV.tableName];
const { serviceName, metricsNamespace } = OBSERVABILITY;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: metricsNamespace, serviceName });
const tracer = new Tracer({ serviceName, captureHTTPsRequests: false });
const documents = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const ssm = new SSMProvider({ awsSdkV3Client: tracer.captureAWSv3Client(new SSMClient({})) });
const parameter = (name: string | undefined) => (name ? ssm.get(name, { maxAge: 300, transform: 'json' }) : undefined);

export const handler = async (event: BaselineEvent, context: { functionName: string }) => {
  logger.setCorrelationId(event.requestContext.requestId);
  metrics.captureColdStartMetric(context.functionName);
  await Promise.all([parameter(env[FUNCTION_ENV.configParameter]), parameter(env[FUNCTION_ENV.flagsParameter])]);
  const response = await dynamoWork(documents, table, event);
  metrics.addMetric(event.httpMethod === 'POST' ? METRICS.updateStored : METRICS.statusRetrieved, MetricUnit.Count, 1);
  logger.info('request completed', { status_code: response.statusCode });
  metrics.publishStoredMetrics();
  return response;
};
