/**
 * The page cursors of the API, one mechanism for both routes: opaque, URL-safe (base64url, no
 * padding), versioned, and BOUND TO THE QUERY that issued them.
 *
 * Inside: `v1.<position>.<check>`, check = the first 96 bits of SHA-256 over the version, the
 * query's binding (its parts, in order) and the position. A cursor issued for another query, cut,
 * altered or of an unknown version is refused (CursorError, a 400). The check guards against
 * mix-ups and corruption; it is not a secret. Isolation does not depend on it: the query is always
 * rebuilt from the request's own parameters, and a position only ever narrows it.
 *
 * - GET /status (`last_key` / `next_key`): bound to the tracking_id; the position is the `timestamp`
 *   of the last item DynamoDB evaluated. (The same bytes as before the listing existed: cursors
 *   issued by the previous release stay valid.)
 * - GET /shipments (`cursor` / `next_cursor`): bound to the status and both `updated_at` bounds (not
 *   the page size); the position is the last returned state record's `updated_key`, base64url
 *   encoded (it holds a tracking_id, which may hold a `.`).
 */
import { createHash, timingSafeEqual } from 'crypto';
import type { TrackingStatus } from './contract';
import { trackingIdProblems } from './validation';

const CURSOR_VERSION = 'v1';
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TIMESTAMP = /^(0|[1-9][0-9]{0,15})$/;
/** The `updated_key` prefix: 15 digits of `updated_at`, then `#` (lambda/state.ts). */
const UPDATED_KEY_PREFIX = /^[0-9]{15}#/;
/** Longer than any status cursor this code issues (about 60 characters), short enough to refuse junk early. */
const STATUS_CURSOR_MAX_LENGTH = 128;
/** A listing cursor holds an updated_key (at most 15 + 1 + 400 UTF-8 bytes): under 800 characters. */
const LISTING_CURSOR_MAX_LENGTH = 1024;

export class CursorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CursorError';
  }
}

/** What a cursor is bound to, and how a cursor of another query is refused. */
interface Binding {
  /** The parts of the query the cursor belongs to (none holds a newline: they are joined by one). */
  parts: readonly string[];
  /** The refusal of a cursor that fails the check. */
  mismatch: string;
  maxLength: number;
}

function check(binding: Binding, position: string): Buffer {
  return createHash('sha256')
    .update([CURSOR_VERSION, ...binding.parts, position].join('\n'), 'utf8')
    .digest()
    .subarray(0, 12);
}

/** `position` must be URL-safe and hold no `.` (base64url, or digits). */
function issue(binding: Binding, position: string): string {
  const raw = `${CURSOR_VERSION}.${position}.${check(binding, position).toString('base64url')}`;
  return Buffer.from(raw, 'utf8').toString('base64url');
}

/** Only the exact bytes this code produced: a base64url string that decodes and encodes back to itself. */
function canonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** The position of a cursor this code issued for `binding`; throws CursorError for anything else. */
function open(cursor: string, binding: Binding): string {
  if (cursor.length === 0 || cursor.length > binding.maxLength) throw new CursorError('is not a valid cursor');
  const bytes = canonicalBase64url(cursor);
  if (!bytes) throw new CursorError('is not a valid cursor');
  const parts = bytes.toString('utf8').split('.');
  if (parts.length !== 3 || !/^v[0-9]+$/.test(parts[0])) throw new CursorError('is not a valid cursor');
  const [version, position, mac] = parts;
  if (version !== CURSOR_VERSION) throw new CursorError(`has unsupported version ${version}`);
  const expected = check(binding, position);
  const given = canonicalBase64url(mac);
  if (!given || given.length !== expected.length || !timingSafeEqual(given, expected))
    throw new CursorError(binding.mismatch);
  return position;
}

// --- GET /status -----------------------------------------------------------------------------------

const statusBinding = (trackingId: string): Binding => ({
  parts: [trackingId],
  mismatch: 'was not issued for this tracking_id or has been altered',
  maxLength: STATUS_CURSOR_MAX_LENGTH,
});

export function encodeCursor(trackingId: string, timestamp: number): string {
  return issue(statusBinding(trackingId), String(timestamp));
}

/** The timestamp the next page starts after; throws CursorError for anything this code did not issue for trackingId. */
export function decodeCursor(cursor: string, trackingId: string): number {
  const position = open(cursor, statusBinding(trackingId));
  if (!TIMESTAMP.test(position) || !Number.isSafeInteger(Number(position)))
    throw new CursorError('is not a valid cursor');
  return Number(position);
}

// --- GET /shipments --------------------------------------------------------------------------------

/** The query a listing cursor belongs to: the status and both bounds (epoch ms), not the page size. */
export interface ListingScope {
  status: TrackingStatus;
  /** updated_before, as an instant (so `+01:00` and `Z` spellings of one instant are one query). */
  before?: number;
  after?: number;
}

const listingBinding = (scope: ListingScope): Binding => ({
  parts: ['shipments', scope.status, String(scope.before ?? ''), String(scope.after ?? '')],
  mismatch: 'was not issued for this query (status, updated_before, updated_after) or has been altered',
  maxLength: LISTING_CURSOR_MAX_LENGTH,
});

export function encodeListingCursor(scope: ListingScope, updatedKey: string): string {
  return issue(listingBinding(scope), Buffer.from(updatedKey, 'utf8').toString('base64url'));
}

/** The updated_key the next page starts after; throws CursorError for anything this code did not issue for `scope`. */
export function decodeListingCursor(cursor: string, scope: ListingScope): string {
  const bytes = canonicalBase64url(open(cursor, listingBinding(scope)));
  const key = bytes?.toString('utf8');
  // Well-formed UTF-8 (it encodes back to the same bytes), the updated_key shape, a valid tracking_id.
  if (
    !bytes ||
    key === undefined ||
    !Buffer.from(key, 'utf8').equals(bytes) ||
    !UPDATED_KEY_PREFIX.test(key) ||
    trackingIdProblems(key.slice(16)).length > 0
  ) {
    throw new CursorError('is not a valid cursor');
  }
  return key;
}
