/**
 * The stream consumer's factory (consumer.ts is the Lambda entry): Powertools wiring, the batch loop
 * and the status-change events; the projection rules are in projection.ts, the events in events.ts.
 *
 * Built once, at init: the DynamoDB, SSM and EventBridge clients (standard retries, short timeouts,
 * captured by the tracer), Logger, Tracer, Metrics and the Powertools BatchProcessor. Each record of
 * a batch is one history item's INSERT; a record that fails (DynamoDB refusing after the SDK's
 * retries, a malformed image) is reported in `batchItemFailures` by its SequenceNumber, so the event
 * source mapping delivers it again (the projection is idempotent) while the others' states stay
 * written.
 *
 * With the real_time_notifications flag on (SSM, through the same RuntimeSettings as the API: cached
 * PARAMETER_MAX_AGE_SECONDS, else the last known value, else DEFAULT_FEATURE_FLAGS), every record that
 * is a real transition of its shipment's state (projection.ts isTransition) gets one event. Events
 * wait, and are put at the end of the batch (at most 10 per PutEvents call), or earlier: before a
 * record of a shipment whose event is waiting is projected, the waiting events are put, since that
 * record may replace the state the event announces. A record whose event is refused (by entry, or
 * the whole call) is a batch item failure, and so are its shipment's later records in the batch, not
 * projected (held back): delivered again (Lambda resumes at the lowest failed sequence number), the
 * record finds the state still reflecting it ('current') and carries the same event (same id) again,
 * then the later ones are projected. No event is lost; the flags are read only when a batch has a
 * transition.
 *
 * Only what the consumer needs is imported: no validators, routes, API config or SQS (its bundle
 * carries exactly its imports).
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { awsClientConfig } from './aws-clients';
import { FUNCTION_ENV, METRICS } from './contract';
import { readConsumerEnv } from './env';
import { instrumentation, ssmSettings } from './instrumentation';
import { StatusEventPublisher, statusEventDetail, type PutResult, type StatusEventDetail } from './events';
import { PoisonRecordError, StateProjection, isTransition, toHistoryUpdate, type ProjectionResult } from './projection';

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

/** A status-change event waiting to be put, and the record that carries it. */
interface Waiting {
  detail: StatusEventDetail;
  record: DynamoDBRecord;
}

/** What one batch keeps from record to record (they are handled one after the other). */
interface BatchEvents {
  /** real_time_notifications, read once per batch, at its first transition. */
  notifications?: Promise<boolean>;
  /** By tracking_id: at most one per shipment (its next record flushes it first), in projection order. */
  waiting: Map<string, Waiting>;
  /** The ids EventBridge accepted in this batch (a record delivered twice in it is put once). */
  accepted: Set<string>;
  /**
   * tracking_id -> the id of its refused event: the shipment's later records are held back (so one
   * refused event per shipment at most).
   */
  refused: Map<string, string>;
  /** The sequence numbers of the records whose events were refused. */
  failed: string[];
  transitions: number;
  put: number;
  held: number;
}

/** A record of a shipment whose event was refused in this batch: not projected, a batch item failure. */
class HeldBackError extends Error {
  constructor(readonly eventId: string) {
    super(`held back: the status event ${eventId} of an earlier record of this shipment was not put`);
    this.name = 'HeldBackError';
  }
}

const sequenceOf = (record: DynamoDBRecord) => record.dynamodb?.SequenceNumber as string;

/** Builds one consumer instance (client, projection, Powertools, batch processor) from an environment. */
export function createConsumer(env: NodeJS.ProcessEnv = process.env): ConsumerHandler {
  const runtime = readConsumerEnv(env);
  const { logger, metrics, tracer, documents, count } = instrumentation(runtime);
  const projection = runtime.tableName
    ? new StateProjection(documents, runtime.tableName, {
        environment: runtime.environment,
        statusShardCount: runtime.statusShardCount,
      })
    : undefined;
  const processor = new BatchProcessor(EventType.DynamoDBStreams);

  // The flags only (no API config): the same reader, cache and fallbacks as the API function.
  const settings = ssmSettings({ tracer, logger }, { flagsParameter: runtime.flagsParameter });
  const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient(awsClientConfig()));
  const publisher = runtime.eventBusName ? new StatusEventPublisher(eventBridge, runtime.eventBusName) : undefined;

  /**
   * Puts the waiting events (in the order their records were projected, MAX_ENTRIES_PER_PUT per call);
   * a refused one makes its record a batch item failure and holds back its shipment's later records.
   */
  async function flush(batch: BatchEvents): Promise<void> {
    const waiting = [...batch.waiting.values()];
    batch.waiting.clear();
    if (waiting.length === 0) return;
    const results: PutResult[] = publisher
      ? await publisher.put(waiting.map((w) => w.detail))
      : waiting.map(() => ({
          ok: false,
          errorCode: 'NoEventBus',
          errorMessage: `the function has no event bus configured (${FUNCTION_ENV.eventBusName})`,
        }));
    results.forEach((result, i) => {
      const { detail, record } = waiting[i];
      if (result.ok) {
        batch.accepted.add(detail.id);
        batch.put += 1;
        return;
      }
      batch.refused.set(detail.tracking_id, detail.id);
      batch.failed.push(sequenceOf(record));
      logger.error('status event not put', {
        sequence_number: sequenceOf(record),
        tracking_id: detail.tracking_id,
        event_id: detail.id,
        status: detail.status,
        error_code: result.errorCode,
        error_message: result.errorMessage,
      });
    });
  }

  /**
   * The Powertools record handler: projects one record and queues its event. A shipment's waiting
   * event is put BEFORE its next record is projected (that record may replace the state the event
   * announces, and a retried record that is no longer the state carries no event); once one of its
   * events is refused, the shipment's later records are not projected but fail, so the redelivery
   * finds the refused record still current and puts its event again.
   */
  async function handleRecord(record: DynamoDBRecord, batch: BatchEvents): Promise<ProjectionResult> {
    let image: Record<string, unknown> | undefined;
    try {
      image = newImage(record);
      const update = toHistoryUpdate(image);
      if (!projection) throw new Error(`the function has no table configured (${FUNCTION_ENV.tableName})`);
      if (batch.waiting.has(update.tracking_id)) await flush(batch);
      const refused = batch.refused.get(update.tracking_id);
      if (refused) throw new HeldBackError(refused);

      const result = await projection.apply(update);
      count(result.outcome === 'updated' ? METRICS.stateUpdated : METRICS.stateUnchanged);
      if (isTransition(result)) {
        batch.transitions += 1;
        batch.notifications ??= settings.current().then(({ flags }) => flags.real_time_notifications);
        const detail = statusEventDetail(result.state);
        if ((await batch.notifications) && !batch.accepted.has(detail.id))
          batch.waiting.set(detail.tracking_id, { detail, record });
      }
      return result;
    } catch (error) {
      const fields = {
        sequence_number: sequenceOf(record),
        tracking_id: trackingIdOf(record, image),
        event_id: record.eventID,
      };
      if (error instanceof HeldBackError) {
        batch.held += 1;
        logger.warn('stream record held back', { ...fields, refused_event_id: error.eventId });
      } else {
        count(METRICS.projectionFailed);
        logger.error('stream record not projected', {
          ...fields,
          poison: error instanceof PoisonRecordError,
          error: error instanceof Error ? error : String(error),
        });
      }
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
      const batch: BatchEvents = {
        waiting: new Map(),
        accepted: new Set(),
        refused: new Map(),
        failed: [],
        transitions: 0,
        put: 0,
        held: 0,
      };
      const response = await processPartialResponse(
        event,
        (record: DynamoDBRecord) => handleRecord(record, batch),
        processor,
        {
          context,
          // One record after the other: records of one item stay in stream order, one batch sends at
          // most one write at a time, and a shipment's event is put before its next record is projected.
          processInParallel: false,
          // A batch whose every record failed is answered like any other (all its sequence numbers),
          // instead of failing the invocation: a batch of poison records is not a crash.
          throwOnFullBatchFailure: false,
        },
      );
      await flush(batch);
      if (batch.put > 0) count(METRICS.eventsPut, batch.put);
      if (batch.refused.size > 0) count(METRICS.eventsFailed, batch.refused.size);
      // Merged into a new response (Powertools hands out a shared one): each record once, in batch order.
      const failed = new Set([...response.batchItemFailures.map((failure) => failure.itemIdentifier), ...batch.failed]);
      const inOrder = event.Records.map(sequenceOf).filter((sequenceNumber) => failed.delete(sequenceNumber));
      const merged: DynamoDBBatchResponse = {
        batchItemFailures: [...inOrder, ...failed].map((itemIdentifier) => ({ itemIdentifier })),
      };
      logger.info('batch projected', {
        records: event.Records.length,
        failed: merged.batchItemFailures.length,
        transitions: batch.transitions,
        events_put: batch.put,
        events_failed: batch.refused.size,
        held_back: batch.held,
      });
      return merged;
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
