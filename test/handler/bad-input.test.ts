/**
 * The bad-input corpus: every request here must get its specific 4xx in the error shape
 * {error, details?, request_id} and nothing else, and must store nothing: the tracking table is
 * compared before and after, nothing is parked on the queue, and no Idempotency-Key record is
 * written (the idempotency table stays empty).
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createHandler } from '../../lambda/app';
import { IDEMPOTENCY, type FeatureFlags } from '../../lambda/contract';
import { encodeCursor, encodeListingCursor } from '../../lambda/cursor';
import type { ErrorDetail } from '../../lambda/responses';
import { updatedKey } from '../../lambda/state';
import {
  apiEvent,
  captureOutput,
  getStatusEvent,
  invoke,
  postBatchEvent,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type EventOptions,
  type TestAws,
  type TestHandler,
} from '../helpers/handler-harness';

interface BadInput {
  name: string;
  event: () => APIGatewayProxyEvent;
  status: number;
  /** The top-level error message (exact string or pattern). */
  error: string | RegExp;
  /** Fields that must be named in details (when the answer has details). */
  fields?: string[];
  /** The exact details, when the case pins them. */
  details?: ErrorDetail[];
  /** Feature flags (from SSM) for this case; it then gets a handler of its own, which reads them. */
  flags?: Partial<FeatureFlags>;
}

const SEEDED = 'SEEDED-1';
const OTHER = 'SEEDED-2';
const json = (body: unknown) => () => postTrackEvent(body);
const raw = (text: string) => () => postTrackEvent(text);
/** POST /track/batch: `{"updates": updates}` for an array, else the body as given. */
const batch = (updates: unknown) => () => postBatchEvent(updates);
const withKey = (key: string): EventOptions => ({
  headers: { 'Content-Type': 'application/json', [IDEMPOTENCY.header]: key },
});
const TWO_UPDATES = [validUpdate('BAD-1'), validUpdate('BAD-2')];
/** Malformed Idempotency-Key values: each must be refused on both POST routes, whatever the body. */
const MALFORMED_KEYS: [string, string][] = [
  ['empty', ''],
  ['of 256 characters', 'k'.repeat(256)],
  ['with a control character (tab)', 'scan-42\tretry'],
  ['with a non-ASCII character', 'scan-42-é'],
];
const INVALID_KEY = {
  status: 400,
  error: 'invalid Idempotency-Key header',
  details: [{ field: 'Idempotency-Key', message: 'must be 1 to 255 printable ASCII characters (space to ~)' }],
};
const withUpdate = (overrides: Record<string, unknown>) => json(validUpdate('BAD-1', overrides));
const withLocation = (location: unknown) => withUpdate({ location });
const nested = (depth: number): Record<string, unknown> =>
  depth === 0 ? { leaf: true } : { level: nested(depth - 1) };
const status = (query: Record<string, string> | null) => () => getStatusEvent(query);
const shipments = (query: Record<string, string> | null) => () => apiEvent('GET', '/shipments', null, query);
/** An event_time `offsetMs` from the moment the case runs (the handler's clock is the real one here). */
const eventTimeFromNow = (offsetMs: number) => () =>
  postTrackEvent(validUpdate('BAD-1', { event_time: new Date(Date.now() + offsetMs).toISOString() }));
const DAY_MS = 86_400_000;
const LISTED_KEY = updatedKey(Date.UTC(2025, 0, 1), 'SEEDED-1');
const listingCursor = (scope: { status: 'in_transit' | 'pending'; before?: number; after?: number }) =>
  encodeListingCursor(scope, LISTED_KEY);
const tamperListing = (cursor: string) => {
  const [version, , check] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  const other = Buffer.from(updatedKey(Date.UTC(2025, 0, 1) - 1, 'SEEDED-1')).toString('base64url');
  return Buffer.from(`${version}.${other}.${check}`, 'utf8').toString('base64url');
};
const INVALID_BODY = 'request body is invalid';
const INVALID_QUERY = 'invalid query parameters';
const manyProperties = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i]));
const tamper = (cursor: string) => {
  const [version, ts, check] = Buffer.from(cursor, 'base64url').toString('utf8').split('.');
  return Buffer.from(`${version}.${Number(ts) - 1}.${check}`, 'utf8').toString('base64url');
};

// Cursors are computed lazily: the seeded timestamps exist only after beforeAll.
let seededTimestamp = 0;

const CORPUS: BadInput[] = [
  // --- body: not JSON, not an object ---
  {
    name: 'malformed JSON',
    event: raw('{"tracking_id": "A", '),
    status: 400,
    error: 'request body is not valid JSON',
    fields: ['body'],
  },
  {
    name: 'NaN literal',
    event: raw('{"tracking_id":"A","status":"pending","location":{"lat":NaN,"lng":1}}'),
    status: 400,
    error: 'request body is not valid JSON',
  },
  {
    name: 'Infinity literal',
    event: raw('{"tracking_id":"A","status":"pending","location":{"lat":Infinity,"lng":1}}'),
    status: 400,
    error: 'request body is not valid JSON',
  },
  { name: 'empty body', event: raw(''), status: 400, error: 'request body is required' },
  {
    name: 'no body at all',
    event: () => ({ ...postTrackEvent(''), body: null }),
    status: 400,
    error: 'request body is required',
  },
  { name: 'JSON array', event: json([validUpdate('BAD-1')]), status: 400, error: INVALID_BODY, fields: ['body'] },
  { name: 'JSON string', event: raw('"just text"'), status: 400, error: INVALID_BODY, fields: ['body'] },
  {
    name: 'plain text',
    event: raw('just text'),
    status: 400,
    error: 'request body is not valid JSON',
    fields: ['body'],
  },
  { name: 'JSON null', event: raw('null'), status: 400, error: INVALID_BODY, fields: ['body'] },
  { name: 'JSON number', event: raw('42'), status: 400, error: INVALID_BODY, fields: ['body'] },
  // --- tracking_id ---
  {
    name: 'tracking_id missing',
    event: json({ status: 'pending', location: { lat: 1, lng: 1 } }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id empty',
    event: withUpdate({ tracking_id: '' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id 101 characters',
    event: withUpdate({ tracking_id: 'X'.repeat(101) }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id a number',
    event: withUpdate({ tracking_id: 12345 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id with a control character',
    event: withUpdate({ tracking_id: 'AB\u0007C' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id with a newline',
    event: withUpdate({ tracking_id: 'AB\nC' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id with an unpaired surrogate',
    event: raw('{"tracking_id":"AB\\ud800","status":"pending","location":{"lat":1,"lng":1}}'),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  // --- status ---
  {
    name: 'status unknown',
    event: withUpdate({ status: 'lost' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['status'],
  },
  {
    name: 'status in the wrong case',
    event: withUpdate({ status: 'DELIVERED' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['status'],
  },
  {
    name: 'status missing',
    event: json({ tracking_id: 'BAD-1', location: { lat: 1, lng: 1 } }),
    status: 400,
    error: INVALID_BODY,
    fields: ['status'],
  },
  {
    name: 'status not a string',
    event: withUpdate({ status: ['pending'] }),
    status: 400,
    error: INVALID_BODY,
    fields: ['status'],
  },
  // --- location ---
  {
    name: 'location missing',
    event: json({ tracking_id: 'BAD-1', status: 'pending' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location'],
  },
  {
    name: 'location an array',
    event: withLocation([52.5, 13.4]),
    status: 400,
    error: INVALID_BODY,
    fields: ['location'],
  },
  { name: 'lng missing', event: withLocation({ lat: 1 }), status: 400, error: INVALID_BODY, fields: ['location.lng'] },
  {
    name: 'lat a string',
    event: withLocation({ lat: '52.5', lng: 13.4 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lat'],
  },
  {
    name: 'lat null',
    event: withLocation({ lat: null, lng: 13.4 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lat'],
  },
  {
    name: 'lat above 90',
    event: withLocation({ lat: 90.0001, lng: 0 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lat'],
  },
  {
    name: 'lat below -90',
    event: withLocation({ lat: -91, lng: 0 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lat'],
  },
  {
    name: 'lng above 180',
    event: withLocation({ lat: 0, lng: 180.5 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lng'],
  },
  {
    name: 'lng below -180',
    event: withLocation({ lat: 0, lng: -181 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lng'],
  },
  {
    name: 'lat overflowing to Infinity (1e999)',
    event: raw('{"tracking_id":"BAD-1","status":"pending","location":{"lat":1e999,"lng":1}}'),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lat'],
  },
  {
    name: 'lng underflowing DynamoDB (1e-200)',
    event: withLocation({ lat: 0, lng: 1e-200 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.lng'],
  },
  {
    name: 'an unknown field inside location',
    event: withLocation({ lat: 1, lng: 1, alt: 30 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['location.alt'],
  },
  // --- unknown fields, __proto__ ---
  {
    name: 'an unknown top-level field',
    event: withUpdate({ priority: 'high' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['priority'],
  },
  {
    name: 'a top-level __proto__ key',
    event: raw('{"tracking_id":"BAD-1","status":"pending","location":{"lat":1,"lng":1},"__proto__":{"admin":true}}'),
    status: 400,
    error: INVALID_BODY,
    fields: ['__proto__'],
  },
  {
    name: 'a __proto__ key inside metadata',
    event: raw(
      '{"tracking_id":"BAD-1","status":"pending","location":{"lat":1,"lng":1},"metadata":{"a":{"__proto__":{"admin":true}}}}',
    ),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata.a.__proto__'],
  },
  // --- metadata ---
  {
    name: 'metadata an array',
    event: withUpdate({ metadata: ['a'] }),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata'],
  },
  {
    name: 'metadata a string',
    event: withUpdate({ metadata: 'fragile' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata'],
  },
  {
    name: 'metadata over 4096 bytes',
    event: withUpdate({ metadata: { note: 'é'.repeat(2100) } }),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata'],
  },
  {
    name: 'metadata with 51 properties',
    event: withUpdate({ metadata: manyProperties }),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata'],
  },
  { name: 'metadata nested 20 levels', event: withUpdate({ metadata: nested(20) }), status: 400, error: INVALID_BODY },
  {
    name: 'metadata number beyond 2^53',
    event: withUpdate({ metadata: { weight: 1e20 } }),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata.weight'],
  },
  {
    name: 'metadata number below DynamoDB precision',
    event: withUpdate({ metadata: { tiny: 1e-200 } }),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata.tiny'],
  },
  {
    name: 'metadata with an empty key',
    event: withUpdate({ metadata: { '': 1 } }),
    status: 400,
    error: INVALID_BODY,
    fields: ['metadata.'],
  },
  // --- event_time ---
  {
    name: 'event_time without an offset',
    event: withUpdate({ event_time: '2026-12-01T09:30:00' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['event_time'],
  },
  {
    name: 'event_time a date only',
    event: withUpdate({ event_time: '2026-12-01' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['event_time'],
  },
  {
    name: 'event_time in epoch milliseconds',
    event: withUpdate({ event_time: 1764581400000 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['event_time'],
  },
  {
    name: 'event_time in month 13',
    event: withUpdate({ event_time: '2026-13-01T00:00:00Z' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['event_time'],
  },
  {
    name: 'event_time on February 30',
    event: withUpdate({ event_time: '2026-02-30T12:00:00+01:00' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['event_time'],
  },
  {
    name: 'event_time 10 minutes in the future',
    event: eventTimeFromNow(10 * 60_000),
    status: 400,
    error: INVALID_BODY,
    fields: ['event_time'],
  },
  {
    name: 'event_time older than max_event_age_days (30)',
    event: eventTimeFromNow(-31 * DAY_MS),
    status: 400,
    error: INVALID_BODY,
    fields: ['event_time'],
  },
  {
    name: 'batch with one update from the future (none stored)',
    event: batch([
      validUpdate('BAD-1'),
      validUpdate('BAD-2', { event_time: new Date(Date.now() + 3_600_000).toISOString() }),
    ]),
    status: 400,
    error: INVALID_BODY,
    fields: ['updates[1].event_time'],
  },
  // --- several problems at once: all listed ---
  {
    name: 'several problems at once',
    event: json({ tracking_id: '', status: 'flying', location: { lat: 100, lng: -200 }, extra: 1 }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id', 'status', 'location.lat', 'location.lng', 'extra'],
  },
  // --- batch ---
  {
    name: 'batch with one invalid update (none stored)',
    event: batch([validUpdate('BAD-1'), validUpdate('BAD-2', { status: 'gone' })]),
    status: 400,
    error: INVALID_BODY,
    fields: ['updates[1].status'],
  },
  {
    name: 'batch with no updates',
    event: batch([]),
    status: 400,
    error: INVALID_BODY,
    fields: ['updates'],
  },
  {
    name: 'batch with 26 updates',
    event: batch(Array.from({ length: 26 }, (_, i) => validUpdate(`BAD-${i}`))),
    status: 400,
    error: INVALID_BODY,
    fields: ['updates'],
  },
  {
    name: 'batch that is not an array',
    event: batch({ updates: validUpdate('BAD-1') }),
    status: 400,
    error: INVALID_BODY,
    fields: ['updates'],
  },
  {
    name: 'batch with a stray top-level field',
    event: batch({ updates: [validUpdate('BAD-1')], tracking_id: 'BAD-1' }),
    status: 400,
    error: INVALID_BODY,
    fields: ['tracking_id'],
  },
  {
    name: 'batch over max_request_size (10240 bytes)',
    event: batch([validUpdate('BAD-1', { metadata: { note: 'x'.repeat(11_000) } })]),
    status: 413,
    error: /^request body is \d+ bytes; the limit is 10240$/,
  },
  {
    name: 'batch with Content-Type text/plain',
    event: () => postBatchEvent(TWO_UPDATES, { headers: { 'Content-Type': 'text/plain' } }),
    status: 415,
    error: /^Content-Type must be application\/json/,
  },
  {
    name: 'batch that is malformed JSON',
    event: () => postBatchEvent('{"updates": ['),
    status: 400,
    error: 'request body is not valid JSON',
    fields: ['body'],
  },
  // --- one update per POST /track, batches on POST /track/batch ---
  {
    name: 'a batch sent to POST /track',
    event: json({ updates: TWO_UPDATES }),
    status: 400,
    error: 'a batch goes to POST /track/batch',
    details: [{ field: 'updates', message: 'POST /track takes one update; send batches to POST /track/batch' }],
  },
  {
    name: 'a single update sent to POST /track/batch',
    event: batch(validUpdate('BAD-1')),
    status: 400,
    error: 'POST /track/batch takes {"updates": [...]}',
    details: [{ field: 'updates', message: 'is required; send a single update to POST /track' }],
  },
  {
    name: 'an empty object sent to POST /track/batch',
    event: batch({}),
    status: 400,
    error: 'POST /track/batch takes {"updates": [...]}',
    details: [{ field: 'updates', message: 'is required; send a single update to POST /track' }],
  },
  {
    name: 'a bare array of updates sent to POST /track/batch',
    event: () => postBatchEvent(JSON.stringify(TWO_UPDATES)),
    status: 400,
    error: INVALID_BODY,
    details: [{ field: 'body', message: 'must be a JSON object' }],
  },
  {
    name: 'a batch with batch_processing off',
    flags: { batch_processing: false },
    event: batch(TWO_UPDATES),
    status: 400,
    error: 'batch processing is disabled',
    details: [{ field: 'updates', message: 'batch processing is disabled; send one update per POST /track' }],
  },
  // --- Idempotency-Key: malformed (refused before the body is read), or valid on a bad body ---
  ...MALFORMED_KEYS.flatMap(([what, key]): BadInput[] => [
    {
      name: `Idempotency-Key ${what}, on POST /track`,
      event: () => postTrackEvent(validUpdate('BAD-1'), withKey(key)),
      ...INVALID_KEY,
    },
    {
      name: `Idempotency-Key ${what}, on POST /track/batch`,
      event: () => postBatchEvent(TWO_UPDATES, withKey(key)),
      ...INVALID_KEY,
    },
  ]),
  {
    name: 'a valid Idempotency-Key on an invalid update',
    event: () => postTrackEvent(validUpdate('BAD-1', { status: 'lost' }), withKey('bad-input-1')),
    status: 400,
    error: INVALID_BODY,
    fields: ['status'],
  },
  {
    name: 'a valid Idempotency-Key on a batch with an invalid update',
    event: () =>
      postBatchEvent(
        [validUpdate('BAD-1'), validUpdate('BAD-2', { location: { lat: 91, lng: 0 } })],
        withKey('bad-input-2'),
      ),
    status: 400,
    error: INVALID_BODY,
    fields: ['updates[1].location.lat'],
  },
  {
    name: 'a valid Idempotency-Key on a batch sent to POST /track',
    event: () => postTrackEvent({ updates: TWO_UPDATES }, withKey('bad-input-3')),
    status: 400,
    error: 'a batch goes to POST /track/batch',
    fields: ['updates'],
  },
  {
    name: 'a valid Idempotency-Key on a single update sent to POST /track/batch',
    event: () => postBatchEvent(validUpdate('BAD-1'), withKey('bad-input-4')),
    status: 400,
    error: 'POST /track/batch takes {"updates": [...]}',
    fields: ['updates'],
  },
  {
    name: 'a valid Idempotency-Key on a body that is not JSON',
    event: () => postTrackEvent('{"tracking_id": ', withKey('bad-input-5')),
    status: 400,
    error: 'request body is not valid JSON',
    fields: ['body'],
  },
  // --- size and content type ---
  {
    name: 'body over max_request_size (10240 bytes)',
    event: withUpdate({ metadata: { note: 'x'.repeat(11_000) } }),
    status: 413,
    error: /^request body is \d+ bytes; the limit is 10240$/,
  },
  {
    name: 'Content-Type text/plain',
    event: () => postTrackEvent(validUpdate('BAD-1'), { headers: { 'Content-Type': 'text/plain' } }),
    status: 415,
    error: /^Content-Type must be application\/json/,
  },
  {
    name: 'Content-Type form-urlencoded',
    event: () =>
      postTrackEvent('tracking_id=BAD-1', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    status: 415,
    error: /^Content-Type must be application\/json/,
  },
  {
    name: 'JSON in a charset other than UTF-8',
    event: () =>
      postTrackEvent(validUpdate('BAD-1'), { headers: { 'Content-Type': 'application/json; charset=ISO-8859-1' } }),
    status: 415,
    error: /charset "iso-8859-1"/,
  },
  // --- routes and methods ---
  {
    name: 'GET /track',
    event: () => apiEvent('GET', '/track', null, null),
    status: 405,
    error: 'method GET is not allowed on /track; use POST',
  },
  {
    name: 'PUT /track',
    event: () => apiEvent('PUT', '/track', JSON.stringify(validUpdate('BAD-1')), null),
    status: 405,
    error: 'method PUT is not allowed on /track; use POST',
  },
  {
    name: 'GET /track/batch',
    event: () => apiEvent('GET', '/track/batch', null, null),
    status: 405,
    error: 'method GET is not allowed on /track/batch; use POST',
  },
  {
    name: 'POST /status',
    event: () => apiEvent('POST', '/status', JSON.stringify(validUpdate('BAD-1')), null),
    status: 405,
    error: 'method POST is not allowed on /status; use GET',
  },
  {
    name: 'DELETE /status',
    event: () => apiEvent('DELETE', '/status', null, { tracking_id: SEEDED }),
    status: 405,
    error: 'method DELETE is not allowed on /status; use GET',
  },
  {
    name: 'an unknown route',
    event: () => apiEvent('POST', '/tracks', JSON.stringify(validUpdate('BAD-1')), null),
    status: 404,
    error: 'no route for /tracks',
  },
  { name: 'the root path', event: () => apiEvent('GET', '/', null, null), status: 404, error: 'no route for /' },
  {
    name: 'POST /shipments',
    event: () => apiEvent('POST', '/shipments', JSON.stringify(validUpdate('BAD-1')), null),
    status: 405,
    error: 'method POST is not allowed on /shipments; use GET',
  },
  {
    name: 'DELETE /shipments',
    event: () => apiEvent('DELETE', '/shipments', null, { status: 'pending' }),
    status: 405,
    error: 'method DELETE is not allowed on /shipments; use GET',
  },
  // --- GET /status parameters ---
  {
    name: 'tracking_id parameter missing',
    event: status(null),
    status: 400,
    error: INVALID_QUERY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id parameter empty',
    event: status({ tracking_id: '' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id parameter too long',
    event: status({ tracking_id: 'Y'.repeat(101) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id parameter with a control character',
    event: status({ tracking_id: 'A\u0000B' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['tracking_id'],
  },
  {
    name: 'tracking_id given twice',
    event: () => getStatusEvent({ tracking_id: OTHER }, { multiValueQuery: { tracking_id: [SEEDED, OTHER] } }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['tracking_id'],
  },
  {
    name: 'limit 0',
    event: status({ tracking_id: SEEDED, limit: '0' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'limit 101',
    event: status({ tracking_id: SEEDED, limit: '101' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'limit -1',
    event: status({ tracking_id: SEEDED, limit: '-1' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'limit 1.5',
    event: status({ tracking_id: SEEDED, limit: '1.5' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'limit abc',
    event: status({ tracking_id: SEEDED, limit: 'abc' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'limit empty',
    event: status({ tracking_id: SEEDED, limit: '' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'limit 1e1',
    event: status({ tracking_id: SEEDED, limit: '1e1' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'last_key not base64url',
    event: status({ tracking_id: SEEDED, last_key: 'not a cursor!' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
  {
    name: 'last_key empty',
    event: status({ tracking_id: SEEDED, last_key: '' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
  {
    name: 'last_key random base64url',
    event: status({ tracking_id: SEEDED, last_key: Buffer.from('{"tracking_id":"SEEDED-2"}').toString('base64url') }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
  {
    name: 'last_key of another shipment',
    event: () => getStatusEvent({ tracking_id: SEEDED, last_key: encodeCursor(OTHER, seededTimestamp) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
  {
    name: 'last_key with an altered timestamp',
    event: () => getStatusEvent({ tracking_id: SEEDED, last_key: tamper(encodeCursor(SEEDED, seededTimestamp)) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
  {
    name: 'last_key of an unknown version',
    event: status({ tracking_id: SEEDED, last_key: Buffer.from('v9.1.AAAAAAAAAAAAAAAA').toString('base64url') }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
  {
    name: 'last_key far too long',
    event: status({ tracking_id: SEEDED, last_key: 'A'.repeat(1000) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
  // --- GET /shipments parameters ---
  { name: 'shipments: status missing', event: shipments(null), status: 400, error: INVALID_QUERY, fields: ['status'] },
  {
    name: 'shipments: status unknown',
    event: shipments({ status: 'lost' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['status'],
  },
  {
    name: 'shipments: status in the wrong case',
    event: shipments({ status: 'Pending' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['status'],
  },
  {
    name: 'shipments: status given twice',
    event: () => apiEvent('GET', '/shipments', null, null, { multiValueQuery: { status: ['pending', 'failed'] } }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['status'],
  },
  {
    name: 'shipments: cursor given twice',
    event: () =>
      apiEvent('GET', '/shipments', null, null, {
        multiValueQuery: { status: ['in_transit'], cursor: [listingCursor({ status: 'in_transit' }), 'x'] },
      }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: limit 0',
    event: shipments({ status: 'pending', limit: '0' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'shipments: limit 101',
    event: shipments({ status: 'pending', limit: '101' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'shipments: limit 2.5',
    event: shipments({ status: 'pending', limit: '2.5' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['limit'],
  },
  {
    name: 'shipments: updated_before not RFC 3339',
    event: shipments({ status: 'pending', updated_before: 'yesterday' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['updated_before'],
  },
  {
    name: 'shipments: updated_before without an offset',
    event: shipments({ status: 'pending', updated_before: '2025-01-01T00:00:00' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['updated_before'],
  },
  {
    name: 'shipments: updated_after not a real instant',
    event: shipments({ status: 'pending', updated_after: '2025-04-31T00:00:00Z' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['updated_after'],
  },
  {
    name: 'shipments: updated_after after updated_before',
    event: shipments({
      status: 'pending',
      updated_after: '2025-01-02T00:00:00Z',
      updated_before: '2025-01-01T00:00:00Z',
    }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['updated_after'],
  },
  {
    name: 'shipments: updated_after equal to updated_before (another offset)',
    event: shipments({
      status: 'pending',
      updated_after: '2025-01-01T00:00:00Z',
      updated_before: '2025-01-01T01:00:00+01:00',
    }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['updated_after'],
  },
  {
    name: 'shipments: several problems at once',
    event: shipments({ status: 'gone', limit: '0', updated_before: 'soon' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['status', 'limit', 'updated_before'],
  },
  {
    name: 'shipments: cursor not base64url',
    event: shipments({ status: 'in_transit', cursor: 'not a cursor!' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor empty',
    event: shipments({ status: 'in_transit', cursor: '' }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor truncated',
    event: () =>
      apiEvent('GET', '/shipments', null, {
        status: 'in_transit',
        cursor: listingCursor({ status: 'in_transit' }).slice(0, -5),
      }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor with an altered position',
    event: () =>
      apiEvent('GET', '/shipments', null, {
        status: 'in_transit',
        cursor: tamperListing(listingCursor({ status: 'in_transit' })),
      }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor of another status',
    event: () =>
      apiEvent('GET', '/shipments', null, { status: 'in_transit', cursor: listingCursor({ status: 'pending' }) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor of another updated_before',
    event: () =>
      apiEvent('GET', '/shipments', null, {
        status: 'in_transit',
        updated_before: '2025-06-01T00:00:00Z',
        cursor: listingCursor({ status: 'in_transit', before: Date.UTC(2025, 5, 2) }),
      }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor issued without the updated_after now given',
    event: () =>
      apiEvent('GET', '/shipments', null, {
        status: 'in_transit',
        updated_after: '2024-06-01T00:00:00Z',
        cursor: listingCursor({ status: 'in_transit' }),
      }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: "shipments: GET /status's cursor",
    event: () =>
      apiEvent('GET', '/shipments', null, { status: 'in_transit', cursor: encodeCursor(SEEDED, seededTimestamp) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor of an unknown version',
    event: shipments({ status: 'in_transit', cursor: Buffer.from('v2.AAAA.AAAAAAAAAAAAAAAA').toString('base64url') }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: 'shipments: cursor far too long',
    event: shipments({ status: 'in_transit', cursor: 'A'.repeat(3000) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['cursor'],
  },
  {
    name: "GET /status with a listing's cursor",
    event: () => getStatusEvent({ tracking_id: SEEDED, last_key: listingCursor({ status: 'in_transit' }) }),
    status: 400,
    error: INVALID_QUERY,
    fields: ['last_key'],
  },
];

let aws: TestAws;
let handler: TestHandler;

/** Every record in the idempotency table (Powertools' records of the Idempotency-Key requests). */
async function idempotencyRecords(): Promise<Record<string, unknown>[]> {
  const tableName = aws.definition.environment.IDEMPOTENCY_TABLE_NAME as string;
  const page = await aws.documents.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
  return page.Items ?? [];
}

beforeAll(async () => {
  aws = await startTestAws();
  aws.setParameters();
  captureOutput();
  handler = createHandler(aws.env);
  for (const id of [SEEDED, OTHER]) {
    for (let i = 0; i < 3; i++) {
      const answer = await invoke(handler, postTrackEvent(validUpdate(id)));
      expect(answer.statusCode).toBe(200);
      seededTimestamp = answer.body.timestamp;
    }
  }
  jest.restoreAllMocks();
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  aws.setParameters();
  captureOutput();
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.reset();
});

it('has at least 40 cases, each with a distinct name', () => {
  expect(CORPUS.length).toBeGreaterThanOrEqual(40);
  expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
});

describe.each(CORPUS.map((c) => [c.name, c] as const))('%s', (_name, bad) => {
  it(`answers ${bad.status} in the error shape and stores nothing`, async () => {
    if (bad.flags) aws.setParameters(bad.flags);
    const caseHandler = bad.flags ? createHandler(aws.env) : handler;
    const before = await aws.allItems();
    const event = bad.event();

    const answer = await invoke(caseHandler, event);

    expect(answer.statusCode).toBe(bad.status);
    expect(answer.headers['Content-Type']).toBe('application/json');
    expect(answer.body.request_id).toBe(event.requestContext.requestId);
    if (typeof bad.error === 'string') expect(answer.body.error).toBe(bad.error);
    else expect(answer.body.error).toMatch(bad.error);
    expect(Object.keys(answer.body).filter((k) => !['error', 'details', 'request_id'].includes(k))).toEqual([]);
    for (const field of bad.fields ?? []) {
      expect(answer.body.details).toEqual(
        expect.arrayContaining([expect.objectContaining({ field, message: expect.any(String) })]),
      );
    }
    if (bad.details) expect(answer.body.details).toEqual(bad.details);
    if (bad.status === 405) {
      expect(answer.headers.Allow).toBe(['/track', '/track/batch'].includes(event.path) ? 'POST' : 'GET');
    }
    const after = await aws.allItems();
    expect(after).toHaveLength(before.length);
    expect(after).toEqual(before);
    expect(aws.parked()).toEqual([]);
    expect(await idempotencyRecords()).toEqual([]);
  });
});

describe('messages name the problem precisely', () => {
  it('lists every problem of a body, each with its field path and message', async () => {
    const answer = await invoke(
      handler,
      postTrackEvent({ tracking_id: '', status: 'flying', location: { lat: 100, lng: -200 }, extra: 1 }),
    );
    expect(answer.body.details).toEqual(
      expect.arrayContaining([
        { field: 'extra', message: 'is not an allowed field' },
        { field: 'tracking_id', message: 'must NOT have fewer than 1 characters' },
        { field: 'status', message: 'must be one of: pending, in_transit, delivered, failed' },
        { field: 'location.lat', message: 'must be <= 90' },
        { field: 'location.lng', message: 'must be >= -180' },
      ]),
    );
  });

  it('says why a cursor is refused, without reading the other shipment', async () => {
    const foreign = await invoke(
      handler,
      getStatusEvent({ tracking_id: SEEDED, last_key: encodeCursor(OTHER, seededTimestamp) }),
    );
    expect(foreign.body.details).toEqual([
      { field: 'last_key', message: 'was not issued for this tracking_id or has been altered' },
    ]);
    const version = await invoke(
      handler,
      getStatusEvent({ tracking_id: SEEDED, last_key: Buffer.from('v9.1.AAAAAAAAAAAAAAAA').toString('base64url') }),
    );
    expect(version.body.details).toEqual([{ field: 'last_key', message: 'has unsupported version v9' }]);
  });

  it('says what is wrong with an event_time', async () => {
    const at = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();
    const answers = await Promise.all(
      [
        validUpdate('BAD-1', { event_time: '2026-12-01T09:30:00' }),
        validUpdate('BAD-1', { event_time: '2026-02-30T09:30:00Z' }),
        validUpdate('BAD-1', { event_time: at(10 * 60_000) }),
        validUpdate('BAD-1', { event_time: at(-31 * DAY_MS) }),
      ].map((body) => invoke(handler, postTrackEvent(body))),
    );
    expect(answers.map((a) => a.body.details)).toEqual([
      [{ field: 'event_time', message: 'must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T09:30:00Z' }],
      [{ field: 'event_time', message: 'is not a real date and time' }],
      [{ field: 'event_time', message: 'must not be more than 5 minutes in the future' }],
      [{ field: 'event_time', message: 'must not be older than 30 days' }],
    ]);
  });

  it("says why a listing's cursor is refused", async () => {
    const foreign = await invoke(
      handler,
      apiEvent('GET', '/shipments', null, { status: 'in_transit', cursor: listingCursor({ status: 'pending' }) }),
    );
    expect(foreign.body.details).toEqual([
      {
        field: 'cursor',
        message: 'was not issued for this query (status, updated_before, updated_after) or has been altered',
      },
    ]);
    const version = await invoke(
      handler,
      apiEvent('GET', '/shipments', null, {
        status: 'in_transit',
        cursor: Buffer.from('v2.AAAA.AAAAAAAAAAAAAAAA').toString('base64url'),
      }),
    );
    expect(version.body.details).toEqual([{ field: 'cursor', message: 'has unsupported version v2' }]);
    // The corpus's listing cursor itself, with its own query, is accepted.
    const own = await invoke(
      handler,
      apiEvent('GET', '/shipments', null, { status: 'in_transit', cursor: listingCursor({ status: 'in_transit' }) }),
    );
    expect(own.statusCode).toBe(200);
  });

  it('accepts the very cursor it issued (the corpus cursors are refused for what they are, not for being cursors)', async () => {
    const first = await invoke(handler, getStatusEvent({ tracking_id: SEEDED, limit: '1' }));
    const next = await invoke(
      handler,
      getStatusEvent({ tracking_id: SEEDED, limit: '1', last_key: first.body.next_key }),
    );
    expect(next.statusCode).toBe(200);
    expect(next.body.updates[0].timestamp).toBeLessThan(first.body.updates[0].timestamp);
  });
});

describe('what the corpus checks see', () => {
  // Last in the file: it leaves a record behind, which every corpus case would otherwise count.
  it('an accepted POST with an Idempotency-Key leaves its record in the idempotency table', async () => {
    expect(await idempotencyRecords()).toEqual([]);

    const answer = await invoke(handler, postBatchEvent(TWO_UPDATES, withKey('bad-input-control')));

    expect(answer.statusCode).toBe(200);
    expect(await idempotencyRecords()).toHaveLength(1);
  });
});
