/**
 * THE contract of the tracking API (v1) and of the table behind it. Pure data, no imports.
 *
 * One source of truth: the stack turns TRACKING_REQUEST_SCHEMA into the API Gateway model and
 * TRACKING_TABLE into the DynamoDB table; the handler and the local API validate with the same
 * schema and create the same table. Never write any of this a second time.
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

/** The body of POST /track: one update or a batch. This is the API Gateway model, verbatim. */
export const TRACKING_REQUEST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'TrackingRequest',
  oneOf: [TRACKING_UPDATE_SCHEMA, TRACKING_BATCH_SCHEMA],
} as const;

export const ROUTES = {
  track: { path: '/track', method: 'POST' },
  status: { path: '/status', method: 'GET', requiredQuery: ['tracking_id'] },
} as const;

/** The runtime configuration kept in SSM (`/logistics/api/<env>/config`) and its defaults. */
export interface ApiConfig {
  max_request_size: number;
  timeout: number;
  rate_limit: number;
}
export const DEFAULT_API_CONFIG: ApiConfig = { max_request_size: 10240, timeout: 10, rate_limit: 100 };

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
 * The tracking table. `status_shard` is `<status>#<n>`, n = a stable hash of the tracking_id modulo
 * the shard count: a StatusIndex keyed on the bare four-valued status would make one hot index
 * partition per status, and its back-pressure throttles every base-table write carrying that status.
 */
export const TRACKING_TABLE = {
  hashKey: 'tracking_id',
  rangeKey: 'timestamp',
  attributes: [
    { name: 'tracking_id', type: 'S' },
    { name: 'timestamp', type: 'N' },
    { name: 'status_shard', type: 'S' },
  ],
  statusIndex: {
    name: 'StatusIndex',
    hashKey: 'status_shard',
    rangeKey: 'timestamp',
    projectionType: 'ALL',
  },
  defaultStatusShardCount: 8,
  streamViewType: 'NEW_AND_OLD_IMAGES',
} as const;

/** Environment variables the stack sets on the function and the handler reads. */
export const FUNCTION_ENV = {
  tableName: 'TABLE_NAME',
  environment: 'ENVIRONMENT',
  configParameter: 'CONFIG_PARAMETER_NAME',
  endpointParameter: 'ENDPOINT_PARAMETER_NAME',
  flagsParameter: 'FLAGS_PARAMETER_NAME',
  queueUrl: 'QUEUE_URL',
  statusShardCount: 'STATUS_SHARD_COUNT',
} as const;

/** Powertools identity of the function (service name and metrics namespace). */
export const OBSERVABILITY = { serviceName: 'tracking-api', metricsNamespace: 'LogisticsTracking' } as const;

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
} as const;

/**
 * The dimensions on every METRICS entry: `service` (POWERTOOLS_SERVICE_NAME) and `environment`
 * (ENVIRONMENT). The Powertools cold-start metric carries `service`, `environment` and `function_name`.
 */
export const METRIC_DIMENSIONS = ['service', 'environment'] as const;
