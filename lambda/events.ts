/**
 * Status-change events (STATUS_EVENT, detail STATUS_EVENT_DETAIL_SCHEMA): what the stream consumer
 * puts on the stack's bus for each real transition of a shipment's current state, and the putting.
 *
 * The detail is built from the state record the projection returned, so every delivery of one
 * transition carries the same detail, and the same `id` (`<tracking_id>/<update_id>`): consumers
 * deduplicate on it. PutEvents takes at most MAX_ENTRIES_PER_PUT entries and answers per entry; the
 * result of every event is reported (accepted, or its error code), so the caller retries exactly the
 * records whose events were refused.
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { STATUS_EVENT, type TrackingStatus } from './contract';
import type { StateRecord } from './state';
import type { Location } from './validation';

/** The `detail` of a status-change event: exactly STATUS_EVENT_DETAIL_SCHEMA's properties. */
export interface StatusEventDetail {
  version: typeof STATUS_EVENT.version;
  id: string;
  tracking_id: string;
  status: TrackingStatus;
  previous_status: TrackingStatus | null;
  event_time: string;
  /** The history item's `timestamp` (the state's update_timestamp). */
  timestamp: number;
  location: Location;
  environment: string;
}

/** EventBridge's limit of entries per PutEvents call. */
export const MAX_ENTRIES_PER_PUT = 10;

/** The event of a transition to `state` (the state record the projection returned). */
export function statusEventDetail(state: StateRecord): StatusEventDetail {
  return {
    version: STATUS_EVENT.version,
    id: `${state.tracking_id}/${state.update_id}`,
    tracking_id: state.tracking_id,
    status: state.status,
    previous_status: state.previous_status,
    event_time: state.event_time,
    timestamp: state.update_timestamp,
    location: { lat: state.location.lat, lng: state.location.lng },
    environment: state.environment,
  };
}

/** What happened to one event: accepted, or refused (by entry, or the whole call after the SDK's retries). */
export type PutResult = { ok: true } | { ok: false; errorCode: string; errorMessage: string };

export class StatusEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  entry(detail: StatusEventDetail): PutEventsRequestEntry {
    return {
      Source: STATUS_EVENT.source,
      DetailType: STATUS_EVENT.detailType,
      EventBusName: this.eventBusName,
      Detail: JSON.stringify(detail),
    };
  }

  /**
   * Puts the events in order, MAX_ENTRIES_PER_PUT per call, one call after the other (a shipment's
   * transitions reach the bus in the order the projection decided). Never throws: the result of
   * every event, in the order given.
   */
  async put(details: StatusEventDetail[]): Promise<PutResult[]> {
    const results: PutResult[] = [];
    for (let start = 0; start < details.length; start += MAX_ENTRIES_PER_PUT) {
      const chunk = details.slice(start, start + MAX_ENTRIES_PER_PUT);
      try {
        const answer = await this.client.send(new PutEventsCommand({ Entries: chunk.map((d) => this.entry(d)) }));
        const entries = answer.Entries ?? [];
        chunk.forEach((_, i) => {
          const entry = entries[i];
          if (entry && !entry.ErrorCode && entry.EventId) results.push({ ok: true });
          else
            results.push({
              ok: false,
              errorCode: entry?.ErrorCode ?? 'MissingEntryResult',
              errorMessage: entry?.ErrorMessage ?? 'PutEvents answered no result for this entry',
            });
        });
      } catch (error) {
        const errorCode = (error as Error)?.name ?? 'Error';
        const errorMessage = error instanceof Error ? error.message : String(error);
        for (let i = 0; i < chunk.length; i++) results.push({ ok: false, errorCode, errorMessage });
      }
    }
    return results;
  }
}
