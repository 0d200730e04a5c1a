/**
 * The tracking table: conditional writes that never overwrite another update, newest-first pages of
 * a shipment's history, and its state record (read with a Query: the function may not GetItem).
 *
 * Every item carries `update_id`, a unique id minted when the update is accepted. A put succeeds when
 * its (tracking_id, timestamp) is free OR already holds this very update; when another update holds
 * it, the next millisecond is tried (bounded). That one condition makes three things safe:
 * two updates in the same millisecond both survive; an SDK retry of a put whose first attempt was
 * applied but whose answer was lost does not store a copy; and replaying a parked update twice
 * stores it once.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { classifyAwsError } from './aws-clients';
import { TRACKING_TABLE } from './contract';
import type { StateRecord } from './state';
import type { Location, UpdateStatus } from './validation';

/**
 * A history item, as this version writes it. It carries no StatusIndex key (`status_shard`): only
 * state records are indexed. Items written by the previous version do carry one, and no
 * `event_time` (see StoredHistoryItem).
 */
export interface TrackingItem {
  tracking_id: string;
  /** Milliseconds since the epoch, > 0; unique per tracking_id (the table's range key). */
  timestamp: number;
  status: UpdateStatus;
  location: Location;
  /** When the scan happened (RFC 3339, normalised to UTC); the accept time when the client gave none. */
  event_time: string;
  metadata?: Record<string, unknown>;
  environment: string;
  /** When the API accepted the update (ISO 8601); `timestamp` may be a few ms later after collisions. */
  created_at: string;
  /** Idempotency key of the update (see above). */
  update_id: string;
  /** With enhanced_tracking on: the caller's IAM ARN and the API Gateway request id. */
  caller_arn?: string;
  request_id?: string;
}

/** How many timestamps one put tries before giving up (the update is then parked, not lost). */
const MAX_TIMESTAMP_ATTEMPTS = 100;

export interface PutResult {
  item: TrackingItem;
  /** Conditional puts sent (1 = the first timestamp was free). */
  attempts: number;
  /** The item was already in the table (a replay, or a retried put that had been applied). */
  alreadyStored: boolean;
}

/**
 * Why a write was refused: `unavailable` (a transient refusal, classifyAwsError), `configuration`
 * (the stack is wrong: no access, no such table, a key schema that does not fit), or `contention`
 * (every timestamp tried was taken). The update is parked in every case.
 */
export type RefusalReason = 'unavailable' | 'configuration' | 'contention';

const REFUSAL_MESSAGES: Record<RefusalReason, string> = {
  unavailable: 'DynamoDB refused the write',
  configuration: 'DynamoDB refused the write: the stack is misconfigured',
  contention: `no free timestamp in ${MAX_TIMESTAMP_ATTEMPTS} attempts`,
};

/** DynamoDB would not take the write (after the SDK's retries), or every timestamp tried was taken. */
export class WriteRefusedError extends Error {
  constructor(
    /** The update with the timestamp it should be stored at next (what gets parked). */
    readonly item: TrackingItem,
    readonly reason: RefusalReason,
    options?: { cause?: unknown },
  ) {
    super(REFUSAL_MESSAGES[reason], options);
    this.name = 'WriteRefusedError';
  }
}

/**
 * The query failed on DynamoDB's side (after the SDK's retries): `transient` (throttling, 5xx,
 * timeouts, network) or `configuration` (no access, no such table or index, a wrong key schema).
 */
export class ReadUnavailableError extends Error {
  constructor(
    readonly kind: 'transient' | 'configuration' = 'transient',
    options?: { cause?: unknown },
  ) {
    super(
      kind === 'transient' ? 'DynamoDB refused the query' : 'DynamoDB refused the query: the stack is misconfigured',
      options,
    );
    this.name = 'ReadUnavailableError';
  }
}

/** A read's failure as ReadUnavailableError when classifyAwsError says transient or configuration; else as is (a bug). */
export function readFailure(error: unknown): unknown {
  const kind = classifyAwsError(error);
  return kind === 'bug' ? error : new ReadUnavailableError(kind, { cause: error });
}

/** A history item as read from the table: maybe written by the previous version. */
export type StoredHistoryItem = Omit<TrackingItem, 'event_time'> & { event_time?: string; status_shard?: string };

export interface Page {
  items: StoredHistoryItem[];
  /** Timestamp of the last item DynamoDB evaluated, when it says there may be more. */
  lastTimestamp?: number;
}

export class TrackingStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** Stores the update at its timestamp or the next free millisecond after it. */
  async put(item: TrackingItem, options: { abortSignal?: AbortSignal; maxAttempts?: number } = {}): Promise<PutResult> {
    const maxAttempts = options.maxAttempts ?? MAX_TIMESTAMP_ATTEMPTS;
    let candidate = item;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const answer = await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: candidate,
            ConditionExpression: 'attribute_not_exists(#ts) OR #uid = :uid',
            ExpressionAttributeNames: { '#ts': 'timestamp', '#uid': 'update_id' },
            ExpressionAttributeValues: { ':uid': candidate.update_id },
            ReturnValues: 'ALL_OLD',
          }),
          { abortSignal: options.abortSignal },
        );
        return { item: candidate, attempts: attempt, alreadyStored: answer.Attributes !== undefined };
      } catch (error) {
        if ((error as Error)?.name === 'ConditionalCheckFailedException') {
          candidate = { ...candidate, timestamp: candidate.timestamp + 1 };
          continue;
        }
        const kind = classifyAwsError(error);
        if (kind === 'bug') throw error;
        throw new WriteRefusedError(candidate, kind === 'transient' ? 'unavailable' : 'configuration', {
          cause: error,
        });
      }
    }
    throw new WriteRefusedError(candidate, 'contention');
  }

  /**
   * One page of a shipment's updates, newest first, starting after `afterTimestamp` when given. The
   * key condition leaves the state record (`timestamp` 0) out, so a page holds `limit` updates.
   */
  async newestFirst(
    trackingId: string,
    limit: number,
    afterTimestamp?: number,
    abortSignal?: AbortSignal,
  ): Promise<Page> {
    try {
      const answer = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#id = :id AND #ts > :state',
          ExpressionAttributeNames: { '#id': 'tracking_id', '#ts': 'timestamp' },
          ExpressionAttributeValues: { ':id': trackingId, ':state': TRACKING_TABLE.stateTimestamp },
          ScanIndexForward: false,
          Limit: limit,
          // Read-your-writes: a client that just posted sees its update.
          ConsistentRead: true,
          ExclusiveStartKey:
            afterTimestamp === undefined ? undefined : { tracking_id: trackingId, timestamp: afterTimestamp },
        }),
        { abortSignal },
      );
      const last = answer.LastEvaluatedKey?.timestamp;
      return {
        items: (answer.Items ?? []) as StoredHistoryItem[],
        lastTimestamp: typeof last === 'number' ? last : undefined,
      };
    } catch (error) {
      throw readFailure(error);
    }
  }

  /** The shipment's state record, if the stream consumer has written one (a Query on its exact key). */
  async stateOf(trackingId: string, abortSignal?: AbortSignal): Promise<StateRecord | undefined> {
    try {
      const answer = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: '#id = :id AND #ts = :state',
          ExpressionAttributeNames: { '#id': 'tracking_id', '#ts': 'timestamp' },
          ExpressionAttributeValues: { ':id': trackingId, ':state': TRACKING_TABLE.stateTimestamp },
          Limit: 1,
          ConsistentRead: true,
        }),
        { abortSignal },
      );
      return answer.Items?.[0] as StateRecord | undefined;
    } catch (error) {
      throw readFailure(error);
    }
  }
}
