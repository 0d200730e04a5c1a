/**
 * Benchmark baseline for the stream consumer: every library the consumer bundles, set up as their
 * documentation shows (Logger with the Lambda context, Metrics, Tracer with the SDK clients captured
 * and a subsegment for the handler, the flags through
 * Powertools Parameters, the Powertools Batch processor on DynamoDB stream records, sequentially as
 * the consumer runs them), doing only the AWS calls of its job: one state-record UpdateItem per
 * record (the consumer's own STATE_WRITE, its shape imported from lambda/projection.ts), and with the
 * real_time_notifications flag on one PutEvents for the batch's transitions.
 * None of ours: no projection rules (ranking, redelivery, late scans), no event ordering or
 * hold-backs. The gap between the consumer and this is what its own code costs.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { FUNCTION_ENV, METRICS, OBSERVABILITY, STATUS_EVENT, TRACKING_TABLE } from '../../lambda/contract';
import { STATE_WRITE } from '../../lambda/projection';
import { statusShard } from '../../lambda/shard';
import { updatedKey } from '../../lambda/state';

const env = process.env;
const table = env[FUNCTION_ENV.tableName];
const shardCount = Number(env[FUNCTION_ENV.statusShardCount] ?? TRACKING_TABLE.defaultStatusShardCount);
const serviceName = OBSERVABILITY.consumerServiceName;
const logger = new Logger({ serviceName });
const metrics = new Metrics({ namespace: OBSERVABILITY.metricsNamespace, serviceName });
const tracer = new Tracer({ serviceName, captureHTTPsRequests: false });
const documents = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})));
const ssm = new SSMProvider({ awsSdkV3Client: tracer.captureAWSv3Client(new SSMClient({})) });
const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
const processor = new BatchProcessor(EventType.DynamoDBStreams);

export const handler = async (event: DynamoDBStreamEvent, context: Context) => {
  logger.addContext(context);
  metrics.captureColdStartMetric(context.functionName);
  const segment = tracer.getSegment();
  const subsegment = segment?.addNewSubsegment(`## ${env._HANDLER}`);
  if (subsegment) tracer.setSegment(subsegment);
  tracer.annotateColdStart();
  tracer.addServiceNameAnnotation();
  try {
    return await project(event, context);
  } finally {
    subsegment?.close();
    if (segment) tracer.setSegment(segment);
    metrics.publishStoredMetrics();
  }
};

async function project(event: DynamoDBStreamEvent, context: Context) {
  const flags = (await ssm.get(env[FUNCTION_ENV.flagsParameter] ?? '', { maxAge: 300, transform: 'json' })) as {
    real_time_notifications?: boolean;
  };
  const details: Record<string, unknown>[] = [];
  const response = await processPartialResponse(
    event,
    async (record: DynamoDBRecord) => {
      const item = unmarshall(record.dynamodb?.NewImage as Record<string, AttributeValue>);
      const updatedAt = Date.parse(item.event_time ?? item.created_at);
      const location = { lat: item.location.lat, lng: item.location.lng };
      // The consumer's own state write, with the values it computes (no ranking of redeliveries, no events order).
      await documents.send(
        new UpdateCommand({
          TableName: table,
          Key: { tracking_id: item.tracking_id, timestamp: TRACKING_TABLE.stateTimestamp },
          ...STATE_WRITE,
          ExpressionAttributeValues: {
            ':status': item.status,
            ':status_shard': statusShard(item.status, item.tracking_id, shardCount),
            ':updated_key': updatedKey(updatedAt, item.tracking_id),
            ':updated_at': updatedAt,
            ':event_time': new Date(updatedAt).toISOString(),
            ':location': location,
            ':update_id': item.update_id,
            ':update_timestamp': item.timestamp,
            ':environment': item.environment,
            ':null': null,
          },
        }),
      );
      details.push({ tracking_id: item.tracking_id, status: item.status, timestamp: item.timestamp, location });
    },
    processor,
    { context, processInParallel: false },
  );
  if (flags.real_time_notifications && details.length > 0) {
    await eventBridge.send(
      new PutEventsCommand({
        Entries: details.map((detail) => ({
          Source: STATUS_EVENT.source,
          DetailType: STATUS_EVENT.detailType,
          EventBusName: env[FUNCTION_ENV.eventBusName],
          Detail: JSON.stringify(detail),
        })),
      }),
    );
  }
  metrics.addMetric(METRICS.stateUpdated, MetricUnit.Count, details.length);
  logger.info('batch projected', { records: event.Records.length });
  return response;
}
