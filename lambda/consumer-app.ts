/**
 * The stream consumer's factory (consumer.ts is the Lambda entry): Powertools wiring and the batch
 * loop only; the projection rules are in projection.ts.
 *
 * Built once, at init: the DynamoDB client (standard retries, short timeouts, captured by the
 * tracer), Logger, Tracer, Metrics and the Powertools BatchProcessor. Each record of a batch is one
 * history item's INSERT; a record that fails (DynamoDB refusing after the SDK's retries, a malformed
 * image) is reported in `batchItemFailures` by its SequenceNumber, so the event source mapping
 * delivers it again (the projection is idempotent) while the others' states stay written.
 *
 * Only what the consumer needs is imported: no validators, routes, SSM or SQS (its bundle carries
 * exactly its imports).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { awsClientConfig } from './aws-clients';
import { FUNCTION_ENV, METRICS } from './contract';
import { readConsumerEnv } from './env';
import { PoisonRecordError, StateProjection, toHistoryUpdate, type ProjectionOutcome } from './projection';

export type ConsumerHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse>;

/** The unmarshalled NewImage of a record; undefined when there is none. */
function newImage(record: DynamoDBRecord): Record<string, unknown> | undefined {
  const image = record.dynamodb?.NewImage;
  if (!image) return undefined;
  try {
    return unmarshall(image as unknown as Record<string, AttributeValue>);
  } catch (error) {
    throw new PoisonRecordError(`the NewImage cannot be unmarshalled: ${(error as Error).message}`);
  }
}

/** The tracking_id of a record, for the log line (from its Keys when the image has none). */
function trackingIdOf(record: DynamoDBRecord, image: Record<string, unknown> | undefined): string | undefined {
  const fromImage = image?.tracking_id;
  if (typeof fromImage === 'string') return fromImage;
  const fromKeys = record.dynamodb?.Keys?.tracking_id?.S;
  return typeof fromKeys === 'string' ? fromKeys : undefined;
}

/** Builds one consumer instance (client, projection, Powertools, batch processor) from an environment. */
export function createConsumer(env: NodeJS.ProcessEnv = process.env): ConsumerHandler {
  const runtime = readConsumerEnv(env);
  const logger = new Logger({ serviceName: runtime.serviceName, persistentKeys: { environment: runtime.environment } });
  const metrics = new Metrics({
    namespace: runtime.metricsNamespace,
    serviceName: runtime.serviceName,
    defaultDimensions: { environment: runtime.environment },
  });
  // SDK calls are traced through the captured client; no global http patching (cheaper cold start).
  const tracer = new Tracer({ serviceName: runtime.serviceName, captureHTTPsRequests: false });
  for (const problem of runtime.problems) logger.error('function configuration problem', { problem });

  const dynamo = tracer.captureAWSv3Client(new DynamoDBClient(awsClientConfig()));
  const documents = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const projection = runtime.tableName
    ? new StateProjection(documents, runtime.tableName, {
        environment: runtime.environment,
        statusShardCount: runtime.statusShardCount,
      })
    : undefined;
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const count = (metric: string) => metrics.addMetric(metric, MetricUnit.Count, 1);

  async function projectRecord(record: DynamoDBRecord): Promise<ProjectionOutcome> {
    let image: Record<string, unknown> | undefined;
    try {
      image = newImage(record);
      const update = toHistoryUpdate(image);
      if (!projection) throw new Error(`the function has no table configured (${FUNCTION_ENV.tableName})`);
      const outcome = await projection.apply(update);
      count(outcome === 'updated' ? METRICS.stateUpdated : METRICS.stateUnchanged);
      return outcome;
    } catch (error) {
      count(METRICS.projectionFailed);
      logger.error('stream record not projected', {
        sequence_number: record.dynamodb?.SequenceNumber,
        tracking_id: trackingIdOf(record, image),
        event_id: record.eventID,
        poison: error instanceof PoisonRecordError,
        error: error instanceof Error ? error : String(error),
      });
      throw error;
    }
  }

  return async function handler(event, context) {
    logger.resetKeys();
    if (context) logger.addContext(context);
    metrics.captureColdStartMetric(context?.functionName);

    const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment('## index.handler');
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }
    try {
      const response = await processPartialResponse(event, projectRecord, processor, {
        context,
        // One record after the other: records of one item stay in stream order, and one batch sends
        // at most one write at a time (the projection itself does not depend on the order).
        processInParallel: false,
        // A batch whose every record failed is answered like any other (all its sequence numbers),
        // instead of failing the invocation: a batch of poison records is not a crash.
        throwOnFullBatchFailure: false,
      });
      logger.info('batch projected', {
        records: event.Records.length,
        failed: response.batchItemFailures.length,
      });
      return response;
    } catch (error) {
      // Only an event that is not a batch at all gets here (processPartialResponse rejects it).
      logger.error('stream batch not processed', error instanceof Error ? error : new Error(String(error)));
      if (subsegment) tracer.addErrorAsMetadata(error as Error);
      throw error;
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
      metrics.publishStoredMetrics();
    }
  };
}
