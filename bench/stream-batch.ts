/**
 * The consumer's benchmark input: a DynamoDB stream event (the shape Lambda's event source mapping
 * delivers, local/aws/stream.ts StreamRecord) of new history items, INSERT records with their new
 * images, as the API writes them. Imported by the child runner: light on purpose.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';

let sequence = 0n;

/** `records` INSERTs of new shipments `<prefix>-<i>`, each its first update (so a new state and a transition). */
export function streamBatch(prefix: string, records: number, region: string, environment: string): DynamoDBStreamEvent {
  const now = Date.now();
  return {
    Records: Array.from({ length: records }, (_, i) => {
      const item = {
        tracking_id: `${prefix}-${i}`,
        timestamp: now,
        status: 'delivered',
        location: { lat: 47.6, lng: -122.3 },
        event_time: new Date(now).toISOString(),
        environment,
        created_at: new Date(now).toISOString(),
        update_id: `${prefix}-${i}-${now}`,
      };
      const Keys = marshall({ tracking_id: item.tracking_id, timestamp: item.timestamp });
      const NewImage = marshall(item);
      sequence += 1n;
      return {
        eventID: `${prefix}-${i}`,
        eventName: 'INSERT' as const,
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: region,
        dynamodb: {
          ApproximateCreationDateTime: Math.floor(now / 1000),
          Keys,
          NewImage,
          SequenceNumber: (100000000000000000000n + sequence).toString(),
          SizeBytes: JSON.stringify(NewImage).length,
          StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
        },
        eventSourceARN: `arn:aws:dynamodb:${region}:123456789012:table/bench/stream/2026-01-01T00:00:00.000`,
      };
    }),
  } as DynamoDBStreamEvent;
}
