/**
 * The projection of the history onto each shipment's STATE RECORD (lambda/state.ts): one history item
 * (the NewImage of a stream INSERT record) at a time, by conditional writes only, so the state never
 * depends on the order records arrive in, nor on how often one is delivered. DynamoDB Streams order
 * records per ITEM, and every update is its own item: two updates of one shipment may arrive in any
 * order, in one batch or in two, and a failed batch is delivered again.
 *
 * An update's rank is its (updated_at = event time in ms, update_timestamp = its history item's
 * `timestamp`) pair, compared lexicographically. `timestamp` is unique per shipment (the table's
 * range key), so the pair is a total order over a shipment's updates, and an equal pair is the same
 * update delivered again. Two writes, each conditional:
 *
 *   1. the update replaces the state when there is no state yet, or its pair is greater than the
 *      stored one: `attribute_not_exists(updated_at) OR updated_at < :at OR (updated_at = :at AND
 *      update_timestamp < :ts)`; `first_seen` is only set when the record is created
 *      (`if_not_exists`): a winner is newer than the stored state, whose first_seen is older still;
 *      the same write keeps the status it replaces as `previous_status = if_not_exists(status, :null)`
 *      (operands are read from the item BEFORE the update: the old status, or null for a new
 *      shipment), and returns the new state (ALL_NEW);
 *   2. when it loses, the state may already reflect this very update (a redelivery, or a retry after
 *      the state was written but its status-change event was not put): a conditional no-op
 *      `SET update_id = :uid` under `update_id = :uid` (ALL_NEW) says so and returns the stored state.
 *      A write that changes nothing writes no stream record (nor does the local stream);
 *   3. otherwise (an older scan uploaded late), `first_seen` is lowered to its event time when that is
 *      earlier: `attribute_exists(tracking_id) AND first_seen > :at`.
 *
 * The outcome tells the consumer whether the update is a TRANSITION of the shipment's current state
 * (its first update, or a new status): 'updated' or 'current', with a previous_status that is null or
 * differs from the status (isTransition). 'current' reports the stored transition again, so a retried
 * record carries the same event (at least once).
 *
 * Both are monotonic (a maximum and a minimum), so any order and any number of deliveries of the same
 * updates end in the same state. No update count is kept: counting idempotently would need every
 * update id ever counted (a redelivered record cannot be told from a new one by the state alone).
 */
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RFC3339_SCHEMA, STATUSES, TRACKING_TABLE, TRACKING_UPDATE_SCHEMA, type TrackingStatus } from './contract';
import { statusShard } from './shard';
import { updatedKey, type StateRecord } from './state';
import type { Location } from './validation';

/** The record cannot be projected, ever (a malformed image): reported as a batch item failure. */
export class PoisonRecordError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonRecordError';
  }
}

/** What the projection takes from one history item. */
export interface HistoryUpdate {
  tracking_id: string;
  /** The history item's range key (when the API accepted it, epoch ms; > 0). */
  timestamp: number;
  status: TrackingStatus;
  location: Location;
  update_id: string;
  /** The event time (epoch ms): its `event_time`, else (items written before event_time) its `created_at`. */
  eventAt: number;
}

/**
 * 'updated': the update is now the shipment's state; 'current': the state already reflected it (a
 * redelivery or a retry; nothing was written); 'unchanged': it lost to a newer one.
 */
export type ProjectionOutcome = 'updated' | 'current' | 'unchanged';

/** What applying one update did, with the shipment's state when the update is (now) that state. */
export type ProjectionResult =
  { outcome: 'updated' | 'current'; state: StateRecord } | { outcome: 'unchanged'; state?: undefined };

/** A real transition: the update is the current state, and it is the first one or its status is new. */
export function isTransition(
  result: ProjectionResult,
): result is { outcome: 'updated' | 'current'; state: StateRecord } {
  if (!result.state) return false;
  const { previous_status, status } = result.state;
  return previous_status === null || previous_status !== status;
}

const RFC3339 = new RegExp(RFC3339_SCHEMA.pattern);
const LAT = TRACKING_UPDATE_SCHEMA.properties.location.properties.lat;
const LNG = TRACKING_UPDATE_SCHEMA.properties.location.properties.lng;

/** Epoch ms of an RFC 3339 instant at or after the epoch; undefined when it is not one. */
function instant(value: unknown): number | undefined {
  if (typeof value !== 'string' || !RFC3339.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isSafeInteger(ms) && ms >= 0 ? ms : undefined;
}

const inRange = (value: unknown, range: { minimum: number; maximum: number }): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= range.minimum && value <= range.maximum;

/**
 * The update a history item (an unmarshalled stream NewImage) carries. Throws PoisonRecordError when
 * there is no image, or a field the state needs is missing or unusable; a missing or invalid
 * `event_time` falls back to `created_at`.
 */
export function toHistoryUpdate(image: Record<string, unknown> | undefined): HistoryUpdate {
  if (!image) throw new PoisonRecordError('the record has no NewImage');
  const { tracking_id, timestamp, status, location, update_id } = image;
  const problems: string[] = [];
  if (typeof tracking_id !== 'string' || tracking_id === '') problems.push('tracking_id');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp) || timestamp <= TRACKING_TABLE.stateTimestamp)
    problems.push('timestamp');
  if (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status)) problems.push('status');
  const point = location as { lat?: unknown; lng?: unknown } | undefined;
  if (typeof point !== 'object' || point === null || !inRange(point.lat, LAT) || !inRange(point.lng, LNG))
    problems.push('location');
  if (typeof update_id !== 'string' || update_id === '') problems.push('update_id');
  const eventAt = instant(image.event_time) ?? instant(image.created_at);
  if (eventAt === undefined) problems.push('event_time/created_at');
  if (problems.length > 0) throw new PoisonRecordError(`unusable history item: ${problems.join(', ')}`);
  return {
    tracking_id: tracking_id as string,
    timestamp: timestamp as number,
    status: status as TrackingStatus,
    location: { lat: point!.lat as number, lng: point!.lng as number },
    update_id: update_id as string,
    eventAt: eventAt!,
  };
}

/**
 * The state record a write returned (ALL_NEW). A record written before previous_status existed has
 * none: read as null.
 */
function storedState(attributes: Record<string, unknown> | undefined): StateRecord {
  if (!attributes) throw new Error('the state write returned no attributes');
  const record = attributes as unknown as StateRecord;
  return { ...record, previous_status: record.previous_status ?? null };
}

const isConditionFailed = (error: unknown) => (error as Error)?.name === 'ConditionalCheckFailedException';

/**
 * The state write: replaces the state when there is none yet or the update ranks higher (updated_at,
 * then update_timestamp); keeps the replaced status as `previous_status` and the first `first_seen`.
 * Exported so the benchmark's floor makes the very same call (bench/baselines/consumer-floor.ts).
 */
export const STATE_WRITE = {
  UpdateExpression:
    'SET #status = :status, #status_shard = :status_shard, #updated_key = :updated_key, ' +
    '#updated_at = :updated_at, #event_time = :event_time, #location = :location, #update_id = :update_id, ' +
    '#update_timestamp = :update_timestamp, #environment = :environment, ' +
    '#first_seen = if_not_exists(#first_seen, :updated_at), #previous_status = if_not_exists(#status, :null)',
  ConditionExpression:
    'attribute_not_exists(#updated_at) OR #updated_at < :updated_at OR ' +
    '(#updated_at = :updated_at AND #update_timestamp < :update_timestamp)',
  ExpressionAttributeNames: {
    '#status': 'status',
    '#status_shard': 'status_shard',
    '#updated_key': 'updated_key',
    '#updated_at': 'updated_at',
    '#event_time': 'event_time',
    '#location': 'location',
    '#update_id': 'update_id',
    '#update_timestamp': 'update_timestamp',
    '#environment': 'environment',
    '#first_seen': 'first_seen',
    '#previous_status': 'previous_status',
  },
  ReturnValues: 'ALL_NEW',
} as const;

export interface ProjectionOptions {
  environment: string;
  /** The StatusIndex shard count (STATUS_SHARD_COUNT). */
  statusShardCount: number;
}

export class StateProjection {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly options: ProjectionOptions,
  ) {}

  /** The state record the update makes when it is the first one seen. */
  stateOf(update: HistoryUpdate): StateRecord {
    return {
      tracking_id: update.tracking_id,
      timestamp: TRACKING_TABLE.stateTimestamp,
      status: update.status,
      previous_status: null,
      status_shard: statusShard(update.status, update.tracking_id, this.options.statusShardCount),
      updated_key: updatedKey(update.eventAt, update.tracking_id),
      updated_at: update.eventAt,
      event_time: new Date(update.eventAt).toISOString(),
      location: { lat: update.location.lat, lng: update.location.lng },
      update_id: update.update_id,
      update_timestamp: update.timestamp,
      first_seen: update.eventAt,
      environment: this.options.environment,
    };
  }

  /**
   * Applies one update to its shipment's state. Throws what DynamoDB refuses after the SDK's retries
   * (the record is then a batch item failure, delivered again, and applying it again is harmless).
   */
  async apply(update: HistoryUpdate, abortSignal?: AbortSignal): Promise<ProjectionResult> {
    const state = this.stateOf(update);
    const key = { tracking_id: state.tracking_id, timestamp: state.timestamp };
    try {
      const written = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          ...STATE_WRITE,
          ExpressionAttributeValues: {
            ':status': state.status,
            ':status_shard': state.status_shard,
            ':updated_key': state.updated_key,
            ':updated_at': state.updated_at,
            ':event_time': state.event_time,
            ':location': state.location,
            ':update_id': state.update_id,
            ':update_timestamp': state.update_timestamp,
            ':environment': state.environment,
            ':null': null,
          },
        }),
        { abortSignal },
      );
      return { outcome: 'updated', state: storedState(written.Attributes) };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    // Lost: does the state already reflect this very update? A no-op write that only succeeds then.
    try {
      const current = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #update_id = :update_id',
          ConditionExpression: '#update_id = :update_id',
          ExpressionAttributeNames: { '#update_id': 'update_id' },
          ExpressionAttributeValues: { ':update_id': update.update_id },
          ReturnValues: 'ALL_NEW',
        }),
        { abortSignal },
      );
      return { outcome: 'current', state: storedState(current.Attributes) };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    // Lost to a newer update: the state stays; only an earlier event time lowers first_seen.
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET #first_seen = :event_at',
          ConditionExpression: 'attribute_exists(#tracking_id) AND #first_seen > :event_at',
          ExpressionAttributeNames: { '#tracking_id': 'tracking_id', '#first_seen': 'first_seen' },
          ExpressionAttributeValues: { ':event_at': update.eventAt },
        }),
        { abortSignal },
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    return { outcome: 'unchanged' };
  }
}
