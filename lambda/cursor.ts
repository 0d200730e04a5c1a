/**
 * The `last_key` / `next_key` cursor of GET /status: opaque, URL-safe (base64url, no padding),
 * versioned, and bound to one tracking_id.
 *
 * Inside: `v1.<timestamp>.<check>`, check = the first 96 bits of SHA-256 over the version, the
 * tracking_id and the timestamp. A cursor issued for another shipment, cut, altered or of an unknown
 * version is refused (400). The check guards against mix-ups and corruption; it is not a secret. The
 * isolation between shipments does not depend on it: the query key is always rebuilt from the
 * request's own tracking_id, so no cursor can ever read outside that shipment.
 */
import { createHash, timingSafeEqual } from 'crypto';

const CURSOR_VERSION = 'v1';
/** Longer than any cursor this code issues (about 60 characters), short enough to refuse junk early. */
const MAX_CURSOR_LENGTH = 128;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TIMESTAMP = /^(0|[1-9][0-9]{0,15})$/;

export class CursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorError';
  }
}

function check(trackingId: string, timestamp: string): Buffer {
  return createHash('sha256').update(`${CURSOR_VERSION}\n${trackingId}\n${timestamp}`, 'utf8').digest().subarray(0, 12);
}

export function encodeCursor(trackingId: string, timestamp: number): string {
  const ts = String(timestamp);
  const raw = `${CURSOR_VERSION}.${ts}.${check(trackingId, ts).toString('base64url')}`;
  return Buffer.from(raw, 'utf8').toString('base64url');
}

/** The timestamp the next page starts after; throws CursorError for anything this code did not issue for trackingId. */
export function decodeCursor(cursor: string, trackingId: string): number {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !BASE64URL.test(cursor)) {
    throw new CursorError('is not a valid cursor');
  }
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  // Reject non-canonical encodings: only the exact bytes this code produced are accepted.
  if (Buffer.from(raw, 'utf8').toString('base64url') !== cursor) throw new CursorError('is not a valid cursor');
  const parts = raw.split('.');
  if (parts.length !== 3 || !/^v[0-9]+$/.test(parts[0])) throw new CursorError('is not a valid cursor');
  const [version, ts, mac] = parts;
  if (version !== CURSOR_VERSION) throw new CursorError(`has unsupported version ${version}`);
  if (!TIMESTAMP.test(ts) || !Number.isSafeInteger(Number(ts))) throw new CursorError('is not a valid cursor');
  const expected = check(trackingId, ts);
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new CursorError('was not issued for this tracking_id or has been altered');
  }
  return Number(ts);
}
