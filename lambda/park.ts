/**
 * Parking: an update DynamoDB refused (after the SDK's retries) goes to the queue with the timestamp
 * it was given, to be replayed later (`npm run replay`). The SQS client (and the SQS SDK code itself)
 * is loaded only the first time something is parked: the success path never pays for it.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { FUNCTION_ENV, STATUSES, TRACKING_TABLE } from './contract';
import type { StoredHistoryItem, TrackingItem } from './store';
import { validateUpdate } from './validation';

/** An item as the previous version parked it (with `status_shard`, without `event_time`), or as this one does. */
type LegacyParkedItem = StoredHistoryItem;

const PARKED_MESSAGE_VERSION = 1;

interface ParkedMessage {
  version: typeof PARKED_MESSAGE_VERSION;
  reason: string;
  parked_at: string;
  item: TrackingItem;
}

export function encodeParked(item: TrackingItem, reason: string, now = Date.now()): string {
  const message: ParkedMessage = {
    version: PARKED_MESSAGE_VERSION,
    reason,
    parked_at: new Date(now).toISOString(),
    item,
  };
  return JSON.stringify(message);
}

/**
 * The item of a parked message; throws when the message is not one this code (or the previous
 * version) wrote. The previous version's items carry `status_shard` (history items were indexed
 * then) and no `event_time`: the shard is checked and dropped, `event_time` defaults to `created_at`.
 */
export function decodeParked(body: string): TrackingItem {
  let message: Partial<ParkedMessage>;
  try {
    message = JSON.parse(body) as Partial<ParkedMessage>;
  } catch {
    throw new Error('message body is not JSON');
  }
  if (message?.version !== PARKED_MESSAGE_VERSION)
    throw new Error(`unsupported parked message version ${JSON.stringify(message?.version)}`);
  const parked = message.item as LegacyParkedItem | undefined;
  if (!parked || typeof parked !== 'object') throw new Error('parked message has no item');
  const { status_shard, ...item } = parked;
  const event_time = item.event_time ?? item.created_at;
  const { tracking_id, status, location, metadata } = item;
  // No event-time window: it was checked when the update was accepted, however long ago that was.
  const update = validateUpdate(
    metadata === undefined
      ? { tracking_id, status, location, event_time }
      : { tracking_id, status, location, metadata, event_time },
  );
  if (!update.ok)
    throw new Error(`parked item is invalid: ${update.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
  const strings = ['environment', 'created_at', 'update_id'] as const;
  for (const key of strings) {
    if (typeof item[key] !== 'string' || item[key] === '') throw new Error(`parked item has no ${key}`);
  }
  if (!Number.isSafeInteger(item.timestamp) || item.timestamp <= TRACKING_TABLE.stateTimestamp)
    throw new Error('parked item has no valid timestamp');
  if (
    status_shard !== undefined &&
    (typeof status_shard !== 'string' || !STATUSES.includes(item.status) || !status_shard.startsWith(`${item.status}#`))
  ) {
    throw new Error('parked item has an inconsistent status_shard');
  }
  return { ...item, event_time };
}

export class ParkingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ParkingError';
  }
}

export interface ParkingOptions {
  /** SQS client configuration (retries, timeouts). */
  clientConfig: object;
  /** Wraps the client once created (the handler passes the tracer's captureAWSv3Client). */
  instrument?: (client: SQSClient) => SQSClient;
}

export class ParkingQueue {
  private client?: Promise<{ client: SQSClient; SendMessageCommand: typeof import('./sqs-client').SendMessageCommand }>;

  constructor(
    private readonly queueUrl: string | undefined,
    private readonly options: ParkingOptions,
  ) {}

  private loadClient() {
    this.client ??= import('./sqs-client').then((sqs) => {
      const created = new sqs.SQSClient(this.options.clientConfig);
      return {
        client: this.options.instrument ? this.options.instrument(created) : created,
        SendMessageCommand: sqs.SendMessageCommand,
      };
    });
    return this.client;
  }

  async park(item: TrackingItem, reason: string, abortSignal?: AbortSignal): Promise<void> {
    if (!this.queueUrl) throw new ParkingError(`no queue configured (${FUNCTION_ENV.queueUrl} is not set)`);
    try {
      const { client, SendMessageCommand } = await this.loadClient();
      await client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: encodeParked(item, reason) }), {
        abortSignal,
      });
    } catch (error) {
      throw new ParkingError('the queue refused the update', { cause: error });
    }
  }
}
