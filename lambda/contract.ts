/**
 * THE contract of the tracking API (v1) and of the table behind it. Pure data, no imports.
 *
 * One source of truth: the stack turns MODELS into the API Gateway models (one per POST route, named
 * by ROUTES) and TRACKING_TABLE into the DynamoDB table; the handler and the local API validate with
 * the same schemas and create the same table; openapi.json is generated from them. Never write any
 * of this a second time.
 */

/** The lifecycle of a shipment. */
export const STATUSES = ['pending', 'in_transit', 'delivered', 'failed'] as const;
export type TrackingStatus = (typeof STATUSES)[number];

export const LIMITS = {
  trackingIdMaxLength: 100,
  /** GET /status page size. */
  pageSizeMin: 1,
  pageSizeMax: 100,
  pageSizeDefault: 10,
  /** GET /shipments page size. */
  listPageSizeMin: 1,
  listPageSizeMax: 100,
  listPageSizeDefault: 20,
  /** How far ahead of the API's clock an `event_time` may be (scanner clocks drift). */
  eventTimeMaxFutureMs: 5 * 60 * 1000,
  /** POST /track batch body: {"updates": [...]}. */
  batchMin: 1,
  batchMax: 25,
  /** `metadata` serialized as JSON (UTF-8 bytes); a schema cannot count bytes, the handler does. */
  metadataMaxBytes: 4096,
  metadataMaxProperties: 50,
  /** Nesting depth of `metadata` (DynamoDB allows 32 levels per item); counted by the handler, like the bytes. */
  metadataMaxDepth: 16,
  /** A DynamoDB item holds at most 400 KB; no body larger than this can ever be stored. */
  dynamoItemMaxBytes: 400 * 1024,
  /** API Gateway REST refuses payloads above 10 MB before any validation. */
  gatewayPayloadMaxBytes: 10 * 1024 * 1024,
} as const;

/** Same rule for the API Gateway model (Java regex) and Ajv (ECMAScript regex): no control characters. */
const NO_CONTROL_CHARACTERS = '^[^\\u0000-\\u001F\\u007F]+$';

/**
 * RFC 3339 date-time with an explicit offset (`2026-12-01T09:30:00+01:00`, `...Z`), fractions up to
 * milliseconds. The shape only: the handler checks that it is a real instant and within bounds.
 */
const RFC3339 = '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?(Z|[+-][0-9]{2}:[0-9]{2})$';
export const RFC3339_SCHEMA = { type: 'string', pattern: RFC3339 } as const;

/** One tracking update (draft-04: the dialect API Gateway models speak). */
export const TRACKING_UPDATE_SCHEMA = {
  type: 'object',
  required: ['tracking_id', 'status', 'location'],
  additionalProperties: false,
  properties: {
    tracking_id: {
      type: 'string',
      minLength: 1,
      maxLength: LIMITS.trackingIdMaxLength,
      pattern: NO_CONTROL_CHARACTERS,
    },
    status: { type: 'string', enum: [...STATUSES] },
    location: {
      type: 'object',
      required: ['lat', 'lng'],
      additionalProperties: false,
      properties: {
        lat: { type: 'number', minimum: -90, maximum: 90 },
        lng: { type: 'number', minimum: -180, maximum: 180 },
      },
    },
    metadata: { type: 'object', maxProperties: LIMITS.metadataMaxProperties },
    /** When the scan happened; absent = when the API accepted the update. */
    event_time: RFC3339_SCHEMA,
  },
} as const;

/** Several updates in one request (accepted only with the batch_processing flag on). */
export const TRACKING_BATCH_SCHEMA = {
  type: 'object',
  required: ['updates'],
  additionalProperties: false,
  properties: {
    updates: {
      type: 'array',
      minItems: LIMITS.batchMin,
      maxItems: LIMITS.batchMax,
      items: TRACKING_UPDATE_SCHEMA,
    },
  },
} as const;

const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

/**
 * The API Gateway models, by name, verbatim. One model per route and no `oneOf`/`anyOf` at the top:
 * API Gateway's validator reports only a combinator's own failure ("matched 0 out of 2"), never the
 * keyword that failed inside it.
 */
export const MODELS = {
  TrackingUpdate: { $schema: DRAFT_04, title: 'TrackingUpdate', ...TRACKING_UPDATE_SCHEMA },
  TrackingBatch: { $schema: DRAFT_04, title: 'TrackingBatch', ...TRACKING_BATCH_SCHEMA },
} as const;
export type ModelName = keyof typeof MODELS;

/**
 * The routes. A POST route names its body model; a GET route its required query parameters (the
 * gateway refuses a request without them) and its optional ones (declared, so they are documented).
 */
export const ROUTES = {
  track: { path: '/track', method: 'POST', model: 'TrackingUpdate', summary: 'Record one tracking update' },
  /** Several updates in one request; only with the batch_processing flag on. */
  trackBatch: {
    path: '/track/batch',
    method: 'POST',
    model: 'TrackingBatch',
    summary: `Record ${LIMITS.batchMin} to ${LIMITS.batchMax} tracking updates`,
  },
  status: {
    path: '/status',
    method: 'GET',
    requiredQuery: ['tracking_id'],
    optionalQuery: ['limit', 'last_key'],
    summary: "A shipment's current state and its history, newest first",
  },
  shipments: {
    path: '/shipments',
    method: 'GET',
    requiredQuery: ['status'],
    optionalQuery: ['limit', 'cursor', 'updated_before', 'updated_after'],
    summary: 'Shipments whose current status is `status`, most recently updated first',
  },
} as const satisfies Record<
  string,
  { path: string; method: 'GET' | 'POST'; summary: string } & (
    { model: ModelName } | { requiredQuery: readonly string[]; optionalQuery: readonly string[] }
  )
>;
export type RouteKey = keyof typeof ROUTES;

/**
 * The optional `Idempotency-Key` header of the POST routes: a retried request with the same key (from
 * the same caller, to the same route) within `ttlSeconds` gets the first answer again and stores
 * nothing twice. Printable ASCII (space to tilde), 1 to 255 characters.
 */
export const IDEMPOTENCY = {
  header: 'Idempotency-Key',
  minLength: 1,
  maxLength: 255,
  pattern: '^[\\x20-\\x7E]+$',
  ttlSeconds: 24 * 60 * 60,
  /** Set on an answer that is a replay of the first one. */
  replayedHeader: 'Idempotent-Replayed',
  /** The records' table (Powertools' layout: a string key, an epoch-seconds TTL attribute). */
  table: { hashKey: 'id', ttlAttribute: 'expiration' },
} as const;

/** The runtime configuration kept in SSM (`/logistics/api/<env>/config`) and its defaults. */
export interface ApiConfig {
  max_request_size: number;
  timeout: number;
  rate_limit: number;
  /** An `event_time` older than this many days is refused (400). */
  max_event_age_days: number;
}
export const DEFAULT_API_CONFIG: ApiConfig = {
  max_request_size: 10240,
  timeout: 10,
  rate_limit: 100,
  max_event_age_days: 30,
};

/** The feature flags kept in SSM (`/logistics/features/<env>/flags`) and their defaults. */
export interface FeatureFlags {
  enhanced_tracking: boolean;
  batch_processing: boolean;
  real_time_notifications: boolean;
}
export const DEFAULT_FEATURE_FLAGS: FeatureFlags = {
  enhanced_tracking: true,
  batch_processing: true,
  real_time_notifications: false,
};

/**
 * The tracking table. Each shipment has its history items (one per update, `timestamp` = when the
 * API accepted it, epoch ms) and one STATE RECORD under the reserved `timestamp` 0: its current
 * state, written by the stream consumer (lambda/projection.ts), never by the API.
 *
 * StatusIndex is sparse: only state records carry its keys. `status_shard` is `<status>#<n>`, n = a
 * stable hash of the tracking_id modulo the shard count (four bare status values would make four hot
 * index partitions, whose back-pressure throttles the table's writes). `updated_key` is
 * `<updated_at, 15 digits>#<tracking_id>`: newest first by event time, and a total order, so a
 * listing's cursor is one key that every shard can continue from exactly.
 */
export const TRACKING_TABLE = {
  hashKey: 'tracking_id',
  rangeKey: 'timestamp',
  /** The `timestamp` of a shipment's state record. */
  stateTimestamp: 0,
  attributes: [
    { name: 'tracking_id', type: 'S' },
    { name: 'timestamp', type: 'N' },
    { name: 'status_shard', type: 'S' },
    { name: 'updated_key', type: 'S' },
  ],
  statusIndex: {
    name: 'StatusIndex',
    hashKey: 'status_shard',
    rangeKey: 'updated_key',
    projectionType: 'ALL',
  },
  defaultStatusShardCount: 8,
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

/**
 * The stream records the consumer is given (the event source mapping's filter, and the local
 * mapping's): new history items only. The consumer's own writes (state records, `timestamp` 0) are
 * filtered out before they reach it; a PutItem that changes nothing writes no stream record.
 */
export const STREAM_FILTER_PATTERN = {
  eventName: ['INSERT'],
  dynamodb: { Keys: { timestamp: { N: [{ 'anything-but': [String(TRACKING_TABLE.stateTimestamp)] }] } } },
} as const;

/** Environment variables the stack sets on the function and the handler reads. */
export const FUNCTION_ENV = {
  tableName: 'TABLE_NAME',
  environment: 'ENVIRONMENT',
  configParameter: 'CONFIG_PARAMETER_NAME',
  flagsParameter: 'FLAGS_PARAMETER_NAME',
  queueUrl: 'QUEUE_URL',
  statusShardCount: 'STATUS_SHARD_COUNT',
  /** The stack's bus the consumer puts status-change events on. */
  eventBusName: 'EVENT_BUS_NAME',
  /** The table of `Idempotency-Key` records (Powertools Idempotency's persistence). */
  idempotencyTable: 'IDEMPOTENCY_TABLE_NAME',
} as const;

/**
 * The status-change events the stream consumer puts on the stack's bus when the
 * real_time_notifications flag is on: one per real transition of a shipment's current state (its
 * first update, or a new current status), at least once (consumers deduplicate on `id`).
 */
export const STATUS_EVENT = {
  source: 'logistics.tracking',
  detailType: 'Shipment Status Changed',
  version: 1,
} as const;

/** The `detail` of a status-change event (JSON Schema draft-04, like the API's models). */
export const STATUS_EVENT_DETAIL_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'ShipmentStatusChanged',
  type: 'object',
  required: [
    'version',
    'id',
    'tracking_id',
    'status',
    'previous_status',
    'event_time',
    'timestamp',
    'location',
    'environment',
  ],
  additionalProperties: false,
  properties: {
    version: { type: 'integer', enum: [STATUS_EVENT.version] },
    /** `<tracking_id>/<update_id>`: the same for every delivery of one transition. */
    id: { type: 'string', minLength: 3 },
    tracking_id: TRACKING_UPDATE_SCHEMA.properties.tracking_id,
    status: TRACKING_UPDATE_SCHEMA.properties.status,
    /** null for a shipment's first update. */
    previous_status: { type: ['string', 'null'], enum: [...STATUSES, null] },
    event_time: RFC3339_SCHEMA,
    /** The history item's `timestamp` (epoch ms, when the API accepted the update). */
    timestamp: { type: 'integer', minimum: 1 },
    location: TRACKING_UPDATE_SCHEMA.properties.location,
    environment: { type: 'string', minLength: 1 },
  },
} as const;

/** Powertools identity of the functions (service names and the metrics namespace they share). */
export const OBSERVABILITY = {
  serviceName: 'tracking-api',
  consumerServiceName: 'tracking-projection',
  metricsNamespace: 'LogisticsTracking',
} as const;

/** SSM parameter names for one environment. */
export const parameterNames = (environment: string) => ({
  config: `/logistics/api/${environment}/config`,
  endpoint: `/logistics/db/${environment}/endpoint`,
  flags: `/logistics/features/${environment}/flags`,
});

/** The function's custom metrics (one per outcome), in OBSERVABILITY.metricsNamespace. */
export const METRICS = {
  updateStored: 'UpdateStored',
  updateParked: 'UpdateParked',
  updateLost: 'UpdateRejectedUnavailable',
  validationFailure: 'ValidationFailure',
  statusNotFound: 'StatusNotFound',
  statusRetrieved: 'StatusRetrieved',
  unhandledError: 'UnhandledError',
  configFallback: 'ConfigFallback',
  /** GET /status answered 503: DynamoDB still refused the query after the SDK's retries. */
  statusUnavailable: 'StatusUnavailable',
  shipmentsListed: 'ShipmentsListed',
  /** GET /shipments answered 503 (DynamoDB refused a shard's query after retries). */
  shipmentsUnavailable: 'ShipmentsUnavailable',
  /**
   * DynamoDB refused a write or a read because the stack is misconfigured (AccessDenied,
   * ResourceNotFound, UnrecognizedClient, ValidationException: lambda/aws-clients.ts). Counted beside
   * the outcome (UpdateParked, StatusUnavailable, ShipmentsUnavailable); alarms at the first one.
   */
  configurationError: 'ConfigurationError',
  /** Stream consumer: an update became its shipment's current state. */
  stateUpdated: 'StateUpdated',
  /** Stream consumer: an update older than the current state (a late scan, or redelivered) changed nothing. */
  stateUnchanged: 'StateUnchanged',
  /** Stream consumer: a record could not be projected (reported as a batch item failure, retried). */
  projectionFailed: 'ProjectionFailed',
  /** Stream consumer: status-change events EventBridge accepted. */
  eventsPut: 'StatusEventsPut',
  /** Stream consumer: status-change events EventBridge refused (their records are retried). */
  eventsFailed: 'StatusEventsFailed',
} as const;

/** The METRICS the stream consumer emits (service OBSERVABILITY.consumerServiceName); the API function emits the rest. */
export const CONSUMER_METRICS = [
  METRICS.stateUpdated,
  METRICS.stateUnchanged,
  METRICS.projectionFailed,
  METRICS.eventsPut,
  METRICS.eventsFailed,
] as const;

/**
 * The dimensions on every METRICS entry: `service` (POWERTOOLS_SERVICE_NAME) and `environment`
 * (ENVIRONMENT). The Powertools cold-start metric carries `service`, `environment` and `function_name`.
 */
export const METRIC_DIMENSIONS = ['service', 'environment'] as const;
