/**
 * The write-sharded status of the StatusIndex: `<status>#<n>`, n = FNV-1a (32 bit) of the UTF-8
 * tracking_id modulo the shard count. Stable across runtimes and releases: all updates of one
 * shipment land in the same shard, and a reader of one status queries shards 0..count-1.
 */
import type { TrackingStatus } from './contract';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function shardIndex(trackingId: string, shardCount: number): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(trackingId, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash % shardCount;
}

export function statusShard(status: TrackingStatus, trackingId: string, shardCount: number): string {
  return `${status}#${shardIndex(trackingId, shardCount)}`;
}
