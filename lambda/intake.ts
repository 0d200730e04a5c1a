/**
 * The intake of validated tracking updates: each becomes a table item, stored with a conditional put
 * at the next free millisecond (TrackingStore); parked on the queue (ParkingQueue) when DynamoDB
 * refuses it after the SDK's retries (transiently, or because the stack is misconfigured: counted
 * apart as ConfigurationError); rejected only when the queue refuses it too. One metric per
 * outcome, one log line per refusal. No HTTP here: the route shapes the answer from the outcomes.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { randomUUID } from 'crypto';
import { METRICS } from './contract';
import { parkBudget, withDeadline, type WriteBudget } from './deadline';
import { ParkingError, type ParkingQueue } from './park';
import { WriteRefusedError, type TrackingItem, type TrackingStore } from './store';
import { normaliseEventTime, type TrackingUpdate } from './validation';

export interface IntakeDeps {
  store: TrackingStore;
  parking: ParkingQueue;
  environment: string;
  count: (metric: string, value?: number) => void;
  logger: Pick<Logger, 'warn' | 'error'>;
}

/** Who sent the updates: recorded on the items with enhanced_tracking on. */
export interface Sender {
  requestId: string;
  callerArn?: string;
  /** The enhanced_tracking flag. */
  enhanced: boolean;
}

export type Outcome = 'stored' | 'queued' | 'rejected';

export interface IntakeResult {
  outcome: Outcome;
  /** The item as stored or parked (its timestamp may be later than the acceptance time). */
  item: TrackingItem;
}

export class UpdateIntake {
  constructor(private readonly deps: IntakeDeps) {}

  /**
   * Stores (or parks) the updates, accepted now; one result per update, in request order. Updates of
   * one shipment are stored one after the other, in request order, each after the previous one's
   * timestamp (so a batch keeps its order newest-first); different shipments in parallel.
   */
  async accept(updates: TrackingUpdate[], sender: Sender, budget: WriteBudget): Promise<IntakeResult[]> {
    const acceptedAt = Date.now();
    const items = updates.map((update) => this.toItem(update, acceptedAt, sender));
    return withDeadline(budget.writeMs, (writeSignal) => this.storeAll(items, writeSignal, budget.parkBy));
  }

  /**
   * A history item: no StatusIndex key (only state records are indexed); `event_time` in UTC, the
   * accept time when the update carries none (validated upstream: a real instant in the window).
   */
  private toItem(update: TrackingUpdate, acceptedAt: number, sender: Sender): TrackingItem {
    const createdAt = new Date(acceptedAt).toISOString();
    const item: TrackingItem = {
      tracking_id: update.tracking_id,
      timestamp: acceptedAt,
      status: update.status,
      location: { lat: update.location.lat, lng: update.location.lng },
      event_time: update.event_time === undefined ? createdAt : normaliseEventTime(update.event_time),
      environment: this.deps.environment,
      created_at: createdAt,
      update_id: randomUUID(),
    };
    if (update.metadata !== undefined) item.metadata = update.metadata;
    if (sender.enhanced) {
      if (sender.callerArn) item.caller_arn = sender.callerArn;
      item.request_id = sender.requestId;
    }
    return item;
  }

  private async storeAll(items: TrackingItem[], writeSignal: AbortSignal, parkBy: number): Promise<IntakeResult[]> {
    const results: IntakeResult[] = new Array(items.length);
    const groups = new Map<string, number[]>();
    items.forEach((item, index) => groups.set(item.tracking_id, [...(groups.get(item.tracking_id) ?? []), index]));
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        let previous: number | undefined;
        for (const index of indexes) {
          const item =
            previous === undefined
              ? items[index]
              : { ...items[index], timestamp: Math.max(items[index].timestamp, previous + 1) };
          results[index] = await this.storeOrPark(item, writeSignal, parkBy);
          previous = results[index].item.timestamp;
        }
      }),
    );
    return results;
  }

  /** `parkBy`: the time (ms since the epoch) by which parking must be done. */
  private async storeOrPark(item: TrackingItem, writeSignal: AbortSignal, parkBy: number): Promise<IntakeResult> {
    const { store, parking, count, logger } = this.deps;
    try {
      const stored = await store.put(item, { abortSignal: writeSignal });
      count(METRICS.updateStored);
      return { outcome: 'stored', item: stored.item };
    } catch (error) {
      if (!(error instanceof WriteRefusedError)) throw error;
      // (`timestamp` is a reserved key of the Powertools log record.)
      const context = {
        tracking_id: error.item.tracking_id,
        update_timestamp: error.item.timestamp,
        reason: error.reason,
      };
      if (error.reason === 'configuration') {
        // Not a bad moment: the stack is wrong (role, table name, key schema). Parked all the same
        // (nothing is lost; replay it once fixed), counted apart so it alarms at once.
        logger.error('DynamoDB refused the update: the stack is misconfigured; parking it on the queue', {
          ...context,
          error: error.cause ?? error,
        });
        count(METRICS.configurationError);
      } else {
        logger.warn('DynamoDB refused the update; parking it on the queue', {
          ...context,
          error: error.cause ?? error,
        });
      }
      try {
        await withDeadline(parkBudget(parkBy), (parkSignal) => parking.park(error.item, error.reason, parkSignal));
        count(METRICS.updateParked);
        return { outcome: 'queued', item: error.item };
      } catch (parkError) {
        if (!(parkError instanceof ParkingError)) throw parkError;
        logger.error('the queue refused the update too; the client must retry', {
          ...context,
          error: parkError.cause ?? parkError,
        });
        count(METRICS.updateLost);
        return { outcome: 'rejected', item: error.item };
      }
    }
  }
}
