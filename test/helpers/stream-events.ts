/**
 * DynamoDB stream events as Lambda delivers them to the stream consumer (an event source mapping on
 * the tracking table's stream, NEW_AND_OLD_IMAGES, INSERT records only): records built with the SDK's
 * own `marshall`, sequence numbers increasing per builder, and the consumer's Lambda context.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { createHash } from 'crypto';
import type { AttributeValue, Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { TRACKING_TABLE, type TrackingStatus } from '../../lambda/contract';
import { contextFields, lambdaContext } from '../../local/runtime/context';
import { resourceNames } from '../../lib/names';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
/** The stream's label (its creation time): part of the stream ARN. */
const STREAM_LABEL = '2026-01-01T00:00:00.000';

/** A history item as the API writes it (event_time from the feature on; absent on older items). */
export interface HistoryImage {
  tracking_id: string;
  timestamp: number;
  status: string;
  status_shard?: string;
  location: { lat: number; lng: number };
  environment: string;
  created_at: string;
  update_id: string;
  event_time?: string;
  metadata?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** A history item accepted at `timestamp` (created_at = that instant), overridable field by field. */
function historyImage(trackingId: string, timestamp: number, overrides: Partial<HistoryImage> = {}): HistoryImage {
  return {
    tracking_id: trackingId,
    timestamp,
    status: 'in_transit',
    location: { lat: 52.52, lng: 13.405 },
    environment: 'test',
    created_at: new Date(timestamp).toISOString(),
    update_id: `${trackingId}-${timestamp}`,
    ...overrides,
  };
}

export interface RecordOptions {
  sequenceNumber?: string;
  /** The record's Keys; by default the image's (tracking_id, timestamp). */
  keys?: Record<string, unknown>;
  /** Omit the NewImage (a malformed record). */
  noImage?: boolean;
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
}

const toAttributes = (value: Record<string, unknown>) =>
  marshall(value, { removeUndefinedValues: true }) as unknown as Record<string, AttributeValue>;

/** One builder per test: its sequence numbers increase from record to record, like one shard's. */
export function streamEvents(tableName: string = resourceNames('test').table) {
  let sequence = 100_000_000_000_000_000_000n;
  const eventSourceARN = `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${tableName}/stream/${STREAM_LABEL}`;

  function record(image: Record<string, unknown> | undefined, options: RecordOptions = {}): DynamoDBRecord {
    sequence += 1n;
    const sequenceNumber = options.sequenceNumber ?? String(sequence);
    const keys = toAttributes(
      options.keys ?? {
        [TRACKING_TABLE.hashKey]: image?.[TRACKING_TABLE.hashKey],
        [TRACKING_TABLE.rangeKey]: image?.[TRACKING_TABLE.rangeKey],
      },
    );
    const newImage = image && !options.noImage ? toAttributes(image) : undefined;
    const created = typeof image?.timestamp === 'number' ? image.timestamp : Date.now();
    return {
      eventID: createHash('md5').update(sequenceNumber).digest('hex'),
      eventName: options.eventName ?? 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(created / 1000),
        Keys: keys,
        ...(newImage ? { NewImage: newImage } : {}),
        SequenceNumber: sequenceNumber,
        SizeBytes: Buffer.byteLength(JSON.stringify(keys)) + Buffer.byteLength(JSON.stringify(newImage ?? {})),
        StreamViewType: TRACKING_TABLE.streamViewType,
      },
      eventSourceARN,
    };
  }

  return {
    /** The INSERT record of one history item. */
    record,
    /** A batch (the event the consumer is invoked with). */
    event: (records: DynamoDBRecord[]): DynamoDBStreamEvent => ({ Records: records }),
    /** A batch of the INSERT records of these items, in this order. */
    batch: (images: Record<string, unknown>[]): DynamoDBStreamEvent => ({ Records: images.map((i) => record(i)) }),
  };
}

/** The consumer's Lambda context in the test environment. */
export function consumerContext(remainingMs = 60_000): Context {
  const { name, logGroup } = resourceNames('test').function('consumer');
  return lambdaContext(contextFields({ name, logGroup, memoryMb: 256 }, { region: REGION }), remainingMs);
}

/** One scan of a shipment: `ts` = its history item's timestamp (accept time), `at` = its event time (ms). */
export interface Scan {
  ts: number;
  at: number;
  status?: TrackingStatus;
  lat?: number;
  uid?: string;
  /** The item's raw event_time: default the ISO form of `at`; null = none (an item from before event_time). */
  eventTime?: string | null;
  createdAt?: string;
}

/** The history item (stream NewImage) a scan makes; status in_transit and a per-item update id by default. */
export function scanImage(trackingId: string, scan: Scan): HistoryImage {
  const item = historyImage(trackingId, scan.ts, {
    status: scan.status ?? 'in_transit',
    location: { lat: scan.lat ?? 52.52, lng: 13.405 },
    update_id: scan.uid ?? `${trackingId}-${scan.ts}`,
  });
  if (scan.createdAt !== undefined) item.created_at = scan.createdAt;
  if (scan.eventTime !== null) item.event_time = scan.eventTime ?? new Date(scan.at).toISOString();
  return item;
}

let serial = 0;
/** A different tracking_id for every use, so tests never see each other's states. */
export const newTrackingId = (label: string) => `${label}-${++serial}`;
