/**
 * State records for the handler suites, which run no stream consumer: written straight into the
 * table in the shape the consumer (lambda/projection.ts) gives them (lambda/state.ts), under the
 * reserved `timestamp`, with the StatusIndex keys of the function's own shard count.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { FUNCTION_ENV, TRACKING_TABLE, type TrackingStatus } from '../../lambda/contract';
import { statusShard } from '../../lambda/shard';
import { updatedKey, type StateRecord } from '../../lambda/state';
import { ENVIRONMENT, type TestAws } from './handler-harness';

/** The StatusIndex shard count the function under test runs with. */
export function shardCountOf(aws: TestAws): number {
  return Number(aws.env[FUNCTION_ENV.statusShardCount] ?? TRACKING_TABLE.defaultStatusShardCount);
}

/** A shipment's state record: its current `status` since `updatedAt` (epoch ms). */
export function stateRecord(
  aws: TestAws,
  trackingId: string,
  status: TrackingStatus,
  updatedAt: number,
  overrides: Partial<StateRecord> = {},
): StateRecord {
  return {
    tracking_id: trackingId,
    timestamp: TRACKING_TABLE.stateTimestamp,
    status,
    previous_status: null,
    status_shard: statusShard(status, trackingId, shardCountOf(aws)),
    updated_key: updatedKey(updatedAt, trackingId),
    updated_at: updatedAt,
    event_time: new Date(updatedAt).toISOString(),
    location: { lat: 48.85, lng: 2.35 },
    update_id: `state-${trackingId}-${updatedAt}`,
    update_timestamp: updatedAt + 1000,
    first_seen: updatedAt - 3_600_000,
    environment: ENVIRONMENT,
    ...overrides,
  };
}

/** Writes the records (a record replaces the shipment's previous one, as the consumer's update does). */
export async function putStateRecords(aws: TestAws, records: StateRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 25) {
    await Promise.all(
      records
        .slice(i, i + 25)
        .map((record) => aws.documents.send(new PutCommand({ TableName: aws.tableName, Item: record }))),
    );
  }
}

/**
 * Takes the shipments' state records out of the listing (the local DynamoDB has no DeleteItem): each
 * is replaced by an item without the StatusIndex keys, which the sparse index does not hold.
 */
export async function retireStateRecords(aws: TestAws, trackingIds: Iterable<string>): Promise<void> {
  const ids = [...new Set(trackingIds)];
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(
      ids.slice(i, i + 25).map((trackingId) =>
        aws.documents.send(
          new PutCommand({
            TableName: aws.tableName,
            Item: { tracking_id: trackingId, timestamp: TRACKING_TABLE.stateTimestamp, retired: true },
          }),
        ),
      ),
    );
  }
}
