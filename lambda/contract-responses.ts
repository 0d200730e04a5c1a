/**
 * The API's answers as JSON Schemas (draft-04, like MODELS): the one error shape (the gateway's and
 * the function's alike) and each route's success body. Pure data, derived from the contract:
 * openapi.json documents them, and a test can validate a real answer against them.
 */
import { LIMITS, MODELS, STATUS_EVENT_DETAIL_SCHEMA, TRACKING_UPDATE_SCHEMA } from './contract';

const DRAFT_04 = MODELS.TrackingUpdate.$schema;
const UPDATE = TRACKING_UPDATE_SCHEMA.properties;
/** A history item's `timestamp`: epoch ms, when the API accepted the update. */
const ACCEPTED_AT = STATUS_EVENT_DETAIL_SCHEMA.properties.timestamp;
/** An event time in epoch ms (`event_time` may not be before 1970). */
const EVENT_MS = { type: 'integer', minimum: 0 } as const;
const TEXT = { type: 'string', minLength: 1 } as const;
/** Opaque page cursors: passed back as they are, never parsed by clients. */
const CURSOR = { type: 'string', minLength: 1 } as const;

export const ERROR_RESPONSE_SCHEMA = {
  $schema: DRAFT_04,
  title: 'Error',
  type: 'object',
  required: ['error', 'request_id'],
  additionalProperties: false,
  properties: {
    error: TEXT,
    /** Each problem with where it is: a body field path (`updates[2].status`), a query parameter, a header. */
    details: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['field', 'message'],
        additionalProperties: false,
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
    /** API Gateway's request id: the key to the logs of this request. */
    request_id: TEXT,
  },
} as const;

/** POST /track, 200: stored in the table. */
const TRACK_STORED_SCHEMA = {
  $schema: DRAFT_04,
  title: 'TrackStored',
  type: 'object',
  required: ['message', 'tracking_id', 'timestamp'],
  additionalProperties: false,
  properties: { message: TEXT, tracking_id: UPDATE.tracking_id, timestamp: ACCEPTED_AT },
} as const;

/** POST /track, 202: DynamoDB refused it, it waits on the queue (replayed with its timestamp, never lost). */
const TRACK_QUEUED_SCHEMA = {
  $schema: DRAFT_04,
  title: 'TrackQueued',
  type: 'object',
  required: ['message', 'tracking_id', 'timestamp', 'queued'],
  additionalProperties: false,
  properties: { ...TRACK_STORED_SCHEMA.properties, queued: { type: 'boolean', enum: [true] } },
} as const;

const BATCH_COUNT = { type: 'integer', minimum: 0, maximum: LIMITS.batchMax } as const;

/** POST /track/batch, 200 (all stored) or 202 (some queued): one result per update, in request order. */
const TRACK_BATCH_RESULT_SCHEMA = {
  $schema: DRAFT_04,
  title: 'TrackBatchResult',
  type: 'object',
  required: ['message', 'count', 'stored', 'queued', 'results'],
  additionalProperties: false,
  properties: {
    message: TEXT,
    count: { type: 'integer', minimum: LIMITS.batchMin, maximum: LIMITS.batchMax },
    stored: BATCH_COUNT,
    queued: BATCH_COUNT,
    results: {
      type: 'array',
      minItems: LIMITS.batchMin,
      maxItems: LIMITS.batchMax,
      items: {
        type: 'object',
        required: ['tracking_id', 'timestamp', 'outcome'],
        additionalProperties: false,
        properties: {
          tracking_id: UPDATE.tracking_id,
          timestamp: ACCEPTED_AT,
          outcome: { type: 'string', enum: ['stored', 'queued'] },
        },
      },
    },
  },
} as const;

/**
 * A shipment's current state (its state record, without the table's keys): `current` and the
 * listing's items. Nested as they are (draft-04 allows `$schema` at the root only), titled.
 */
const SHIPMENT_STATE = {
  title: 'ShipmentState',
  type: 'object',
  required: ['tracking_id', 'status', 'updated_at', 'event_time', 'location', 'first_seen'],
  additionalProperties: false,
  properties: {
    tracking_id: UPDATE.tracking_id,
    status: UPDATE.status,
    /** The event time of the update the state reflects. */
    updated_at: EVENT_MS,
    event_time: UPDATE.event_time,
    location: UPDATE.location,
    /** The earliest event time seen for the shipment. */
    first_seen: EVENT_MS,
  },
} as const;

/** One update of a shipment's history, as GET /status shows it. */
const HISTORY_ITEM = {
  title: 'HistoryItem',
  type: 'object',
  required: ['timestamp', 'status', 'location', 'event_time', 'created_at'],
  additionalProperties: false,
  properties: {
    timestamp: ACCEPTED_AT,
    status: UPDATE.status,
    location: UPDATE.location,
    /** When the scan happened, in UTC (the accept time when the update carried none). */
    event_time: UPDATE.event_time,
    metadata: UPDATE.metadata,
    environment: TEXT,
    /** When the API accepted the update (`timestamp` may be a few ms later). */
    created_at: UPDATE.event_time,
    /** With enhanced_tracking on: the request that posted it, and its caller's IAM ARN (shown to that caller only). */
    request_id: TEXT,
    caller_arn: TEXT,
  },
} as const;

const SHIPMENT_STATE_SCHEMA = { $schema: DRAFT_04, ...SHIPMENT_STATE } as const;
const HISTORY_ITEM_SCHEMA = { $schema: DRAFT_04, ...HISTORY_ITEM } as const;

/** GET /status, 200. */
const STATUS_PAGE_SCHEMA = {
  $schema: DRAFT_04,
  title: 'StatusPage',
  type: 'object',
  required: ['tracking_id', 'updates', 'count'],
  additionalProperties: false,
  properties: {
    tracking_id: UPDATE.tracking_id,
    /** Absent until the stream consumer has projected the shipment's first update. */
    current: SHIPMENT_STATE,
    /** Newest first (by arrival); empty only on a page after the last one. */
    updates: { type: 'array', maxItems: LIMITS.pageSizeMax, items: HISTORY_ITEM },
    count: { type: 'integer', minimum: 0, maximum: LIMITS.pageSizeMax },
    /** The `last_key` of the next page; absent on the last page. */
    next_key: CURSOR,
  },
} as const;

/** GET /shipments, 200. */
const SHIPMENTS_PAGE_SCHEMA = {
  $schema: DRAFT_04,
  title: 'ShipmentsPage',
  type: 'object',
  required: ['status', 'shipments', 'count'],
  additionalProperties: false,
  properties: {
    status: UPDATE.status,
    /** Most recently updated (by event time) first. */
    shipments: { type: 'array', maxItems: LIMITS.listPageSizeMax, items: SHIPMENT_STATE },
    count: { type: 'integer', minimum: 0, maximum: LIMITS.listPageSizeMax },
    /** The `cursor` of the next page (bound to this status and these bounds); absent on the last page. */
    next_cursor: CURSOR,
  },
} as const;

/** Every response schema, by its title (the name openapi.json gives it). */
export const RESPONSE_SCHEMAS = {
  Error: ERROR_RESPONSE_SCHEMA,
  TrackStored: TRACK_STORED_SCHEMA,
  TrackQueued: TRACK_QUEUED_SCHEMA,
  TrackBatchResult: TRACK_BATCH_RESULT_SCHEMA,
  ShipmentState: SHIPMENT_STATE_SCHEMA,
  HistoryItem: HISTORY_ITEM_SCHEMA,
  StatusPage: STATUS_PAGE_SCHEMA,
  ShipmentsPage: SHIPMENTS_PAGE_SCHEMA,
} as const;
