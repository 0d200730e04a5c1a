/**
 * A shipment's STATE RECORD: its current state, kept in the tracking table under the reserved
 * `timestamp` TRACKING_TABLE.stateTimestamp by the stream consumer (lambda/projection.ts), and read
 * by GET /shipments (through the sparse StatusIndex) and GET /status (`current`). The state follows
 * EVENT time: it reflects the update with the latest (updated_at, update_timestamp).
 */
import { TRACKING_TABLE, type TrackingStatus } from './contract';
import type { Location } from './validation';

export interface StateRecord {
  tracking_id: string;
  timestamp: typeof TRACKING_TABLE.stateTimestamp;
  status: TrackingStatus;
  /** The status before this update became the current one; null for the shipment's first state. */
  previous_status: TrackingStatus | null;
  /** StatusIndex partition key: `<status>#<n>` (lambda/shard.ts). */
  status_shard: string;
  /** StatusIndex sort key: updatedKey(updated_at, tracking_id). */
  updated_key: string;
  /** The event time of the update the state reflects (epoch ms). */
  updated_at: number;
  /** The same instant as the update carried it (RFC 3339, normalised to UTC). */
  event_time: string;
  location: Location;
  /** The update the state reflects: its id and its history item's `timestamp`. */
  update_id: string;
  update_timestamp: number;
  /** The earliest event time seen for the shipment (epoch ms). */
  first_seen: number;
  environment: string;
}

/** Enough digits for any epoch-ms value this side of the year 5000, so the string order is the numeric order. */
const UPDATED_AT_DIGITS = 15;

/** The StatusIndex sort key: newest first by event time, ties broken by tracking_id (a total order). */
export function updatedKey(updatedAt: number, trackingId: string): string {
  return `${String(updatedAt).padStart(UPDATED_AT_DIGITS, '0')}#${trackingId}`;
}

/** The smallest key of any record updated at `updatedAt` or later (`updatedKey(t, id) >= updatedKeyFloor(t)`). */
export function updatedKeyFloor(updatedAt: number): string {
  return String(updatedAt).padStart(UPDATED_AT_DIGITS, '0');
}

/** What a client sees of a state record (no table keys): GET /shipments reads only these, and the sort key. */
export const PUBLIC_STATE_FIELDS = [
  'tracking_id',
  'status',
  'updated_at',
  'event_time',
  'location',
  'first_seen',
] as const;
export type PublicState = Pick<StateRecord, (typeof PUBLIC_STATE_FIELDS)[number]>;

export function publicState(record: PublicState): PublicState {
  const { tracking_id, status, updated_at, event_time, location, first_seen } = record;
  return { tracking_id, status, updated_at, event_time, location, first_seen };
}
