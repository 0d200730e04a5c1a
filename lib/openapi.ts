/**
 * The API as an OpenAPI 3.0.3 document, built from what the stack deploys: the contract's MODELS
 * (the request bodies, verbatim but for `$schema`, which 3.0 Schema Objects do not allow), ROUTES,
 * IDEMPOTENCY and LIMITS, the routes' declared parameters (apiSpec), the gateway responses and the
 * response schemas (lambda/contract-responses.ts). Pure (no Pulumi, no I/O), deterministic: the same
 * inputs give the same document, key for key. `npm run openapi` writes it to openapi.json; the local
 * API serves it at /<stage>/openapi.json.
 */
import { RESPONSE_SCHEMAS } from '../lambda/contract-responses';
import {
  IDEMPOTENCY,
  LIMITS,
  MODELS,
  RFC3339_SCHEMA,
  ROUTES,
  TRACKING_UPDATE_SCHEMA,
  type ModelName,
  type RouteKey,
} from '../lambda/contract';
import { version } from '../package.json';
import { JSON_CONTENT_TYPE, apiSpec, headerParameter, querystringParameter, type RouteSpec } from './api-spec';
import { API_GATEWAY_TIMEOUT_SECONDS } from './config';
import { GATEWAY_RESPONSES, gatewayResponse, renderGatewayResponse } from './gateway-responses';
import { resourceNames } from './names';

const OPENAPI_VERSION = '3.0.3';

type Json = Record<string, unknown>;

export interface OpenApiOptions {
  /** The `stage` both servers default to (the stage is named after the environment suffix). */
  stage: string;
  /** The deployed server's default region. */
  region: string;
  /** The local API's default port. */
  localPort: number;
}

type ComponentName = ModelName | keyof typeof RESPONSE_SCHEMAS;
const ref = (section: 'schemas' | 'responses' | 'headers' | 'parameters', name: string) => ({
  $ref: `#/components/${section}/${name}`,
});

/**
 * A schema as a Schema Object: no `$schema`, and a nested titled schema that is a component of its
 * own (a `ShipmentState` inside `StatusPage`) becomes a reference to it, so clients get one type.
 */
function schemaObject(schema: unknown, root = true): unknown {
  if (Array.isArray(schema)) return schema.map((item) => schemaObject(item, false));
  if (schema === null || typeof schema !== 'object') return schema;
  const { $schema: _dialect, ...rest } = schema as Json;
  if (!root && typeof rest.title === 'string' && rest.title in RESPONSE_SCHEMAS) return ref('schemas', rest.title);
  return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, schemaObject(value, false)]));
}

// --- examples: realistic values, checked against their schemas by test/infra/openapi.test.ts -------

const EXAMPLE_REQUEST_ID = 'c5d1a8e2-7f3b-4c6d-9e0a-1b2c3d4e5f60';
const ACCEPTED_AT = 1772353802417; // 2026-03-01T08:30:02.417Z
const SCAN = {
  tracking_id: 'PKG-0001',
  status: 'in_transit',
  location: { lat: 52.52, lng: 13.405 },
  event_time: '2026-03-01T09:30:00+01:00',
  metadata: { carrier: 'ACME Freight', scanner: 'hub-berlin-3' },
};
const MINIMAL = { tracking_id: 'PKG-0002', status: 'pending', location: { lat: 48.137, lng: 11.575 } };
const CURRENT = {
  tracking_id: 'PKG-0001',
  status: 'in_transit',
  updated_at: 1772353800000,
  event_time: '2026-03-01T08:30:00.000Z',
  location: SCAN.location,
  first_seen: 1772208300000,
};
const example = (summary: string, value: unknown) => ({ summary, value });

const functionError = (error: string, details?: { field: string; message: string }[]) => ({
  error,
  ...(details && { details }),
  request_id: EXAMPLE_REQUEST_ID,
});
/** An error API Gateway answers itself, rendered from the gateway response the stack deploys. */
const gatewayError = (type: string, message: string, validationError?: string): unknown =>
  JSON.parse(renderGatewayResponse(gatewayResponse(type), { message, validationError, requestId: EXAMPLE_REQUEST_ID }));
const missingParameters = (key: 'status' | 'shipments') => {
  const message = `Missing required request parameters: [${ROUTES[key].requiredQuery.join(', ')}]`;
  return gatewayError('BAD_REQUEST_PARAMETERS', message, message);
};
const badIdempotencyKey = functionError(`invalid ${IDEMPOTENCY.header} header`, [
  {
    field: IDEMPOTENCY.header,
    message: `must be ${IDEMPOTENCY.minLength} to ${IDEMPOTENCY.maxLength} printable ASCII characters (space to ~)`,
  },
]);

// --- parameters ------------------------------------------------------------------------------------

type GetRoute = {
  [K in RouteKey]: (typeof ROUTES)[K] extends { requiredQuery: readonly string[] } ? K : never;
}[RouteKey];
type QueryName<K extends GetRoute> =
  (typeof ROUTES)[K]['requiredQuery'][number] | (typeof ROUTES)[K]['optionalQuery'][number];
interface QueryParameter {
  description: string;
  schema: unknown;
  example?: unknown;
}

const CURSOR = RESPONSE_SCHEMAS.StatusPage.properties.next_key;
const LISTING_CURSOR = RESPONSE_SCHEMAS.ShipmentsPage.properties.next_cursor;
const pageSize = (min: number, max: number, fallback: number) => ({
  type: 'integer',
  minimum: min,
  maximum: max,
  default: fallback,
});

/** Every query parameter a GET route declares, with its schema (tsc checks that none is missing). */
const QUERY_PARAMETERS: { [K in GetRoute]: Record<QueryName<K>, QueryParameter> } = {
  status: {
    tracking_id: {
      description: 'The shipment.',
      schema: TRACKING_UPDATE_SCHEMA.properties.tracking_id,
      example: 'PKG-0001',
    },
    limit: {
      description: 'Updates per page.',
      schema: pageSize(LIMITS.pageSizeMin, LIMITS.pageSizeMax, LIMITS.pageSizeDefault),
    },
    last_key: {
      description: 'The `next_key` of the previous page, as it was given (opaque, bound to this tracking_id).',
      schema: CURSOR,
    },
  },
  shipments: {
    status: {
      description: 'The current status of the shipments to list.',
      schema: TRACKING_UPDATE_SCHEMA.properties.status,
      example: 'in_transit',
    },
    limit: {
      description: 'Shipments per page.',
      schema: pageSize(LIMITS.listPageSizeMin, LIMITS.listPageSizeMax, LIMITS.listPageSizeDefault),
    },
    cursor: {
      description:
        'The `next_cursor` of the previous page, as it was given (opaque, bound to status, updated_before and updated_after).',
      schema: LISTING_CURSOR,
    },
    updated_before: {
      description: "Only shipments whose current state's event time is strictly before this instant (RFC 3339).",
      schema: RFC3339_SCHEMA,
      example: '2026-02-27T08:30:00Z',
    },
    updated_after: {
      description:
        "Only shipments whose current state's event time is strictly after this instant (RFC 3339); earlier than updated_before.",
      schema: RFC3339_SCHEMA,
      example: '2026-02-20T00:00:00+01:00',
    },
  },
};

const QUERY_PREFIX = querystringParameter('');
const HEADER_PREFIX = headerParameter('');

/** The parameters a route declares to API Gateway, documented (an undocumented one is an error). */
function parameters(route: RouteSpec): unknown[] {
  return Object.entries(route.requestParameters ?? {}).map(([key, required]) => {
    if (key.startsWith(HEADER_PREFIX) && key.slice(HEADER_PREFIX.length) === IDEMPOTENCY.header) {
      return ref('parameters', 'IdempotencyKey');
    }
    const name = key.slice(QUERY_PREFIX.length);
    const documented = key.startsWith(QUERY_PREFIX)
      ? (QUERY_PARAMETERS as Record<string, Record<string, QueryParameter>>)[route.key]?.[name]
      : undefined;
    if (!documented) throw new Error(`openapi: ${route.httpMethod} ${route.path} declares ${key}, documented nowhere`);
    return {
      name,
      in: 'query',
      required,
      description: documented.description,
      schema: documented.schema,
      ...(documented.example !== undefined && { example: documented.example }),
    };
  });
}

// --- responses -------------------------------------------------------------------------------------

const content = (schema: ComponentName, examples: Record<string, unknown>) => ({
  [JSON_CONTENT_TYPE]: { schema: ref('schemas', schema), examples },
});

/** Which gateway responses the stack deploys answer with this status. */
function gatewayTypes(status: number): string {
  const types = GATEWAY_RESPONSES.filter((r) => r.statusCode === status).map((r) => r.type);
  return types.length ? ` API Gateway answers ${types.join(', ')} with it.` : '';
}

const REPLAYED = { [IDEMPOTENCY.replayedHeader]: ref('headers', 'IdempotentReplayed') };
const RETRY_AFTER = { 'Retry-After': ref('headers', 'RetryAfter') };

/** The error answers every route shares, by component name. */
const ERROR_RESPONSES = {
  Forbidden: {
    description:
      'No valid SigV4 signature (missing, invalid or expired), the caller may not `execute-api:Invoke` this route, or no such route: API Gateway answers an unknown path or method with 403 "Missing Authentication Token".' +
      gatewayTypes(403),
    content: content('Error', {
      unsigned: example(
        'Not signed, or no such route',
        gatewayError('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token'),
      ),
      mismatch: example(
        'Signature mismatch',
        gatewayError(
          'INVALID_SIGNATURE',
          'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
        ),
      ),
      expired: example(
        'Signature expired',
        gatewayError(
          'INVALID_SIGNATURE',
          'Signature expired: 20260301T081500Z is now earlier than 20260301T082502Z (20260301T083002Z - 5 min.)',
        ),
      ),
    }),
  },
  IdempotencyInProgress: {
    description: `A request with the same ${IDEMPOTENCY.header} is still being served: retry after \`Retry-After\` seconds to get its answer.`,
    headers: RETRY_AFTER,
    content: content('Error', {
      inProgress: example(
        'Same key, first request not finished',
        functionError(`a request with this ${IDEMPOTENCY.header} is still in progress; retry shortly`, [
          { field: IDEMPOTENCY.header, message: 'another request with this key has not finished yet' },
        ]),
      ),
    }),
  },
  PayloadTooLarge: {
    description: `The body is larger than the API's \`max_request_size\` (SSM config), or than ${LIMITS.gatewayPayloadMaxBytes / 1024 / 1024} MB at the gateway.${gatewayTypes(413)}`,
    content: content('Error', {
      tooLarge: example('Over max_request_size', functionError('request body is 20480 bytes; the limit is 10240')),
    }),
  },
  UnsupportedMediaType: {
    description: `The body is not \`${JSON_CONTENT_TYPE}\` (UTF-8).${gatewayTypes(415)}`,
    content: content('Error', {
      text: example('Sent as text/plain', functionError('Content-Type must be application/json, got "text/plain"')),
    }),
  },
  IdempotencyKeyReused: {
    description: `This ${IDEMPOTENCY.header} was used within the last ${IDEMPOTENCY.ttlSeconds / 3600} hours with another body (or on the other POST route): nothing was stored. Use a new key for a new request.`,
    content: content('Error', {
      reused: example(
        'Same key, another body',
        functionError(`this ${IDEMPOTENCY.header} was already used for a different request`, [
          {
            field: IDEMPOTENCY.header,
            message: `was used within ${IDEMPOTENCY.ttlSeconds / 3600} hours with another body or route; use a new key for a new request`,
          },
        ]),
      ),
    }),
  },
  Throttled: {
    description: `The stage's throttling (rate and burst limits) refused the request: retry with backoff.${gatewayTypes(429)}`,
    content: content('Error', { throttled: example('Throttled', gatewayError('THROTTLED', 'Too Many Requests')) }),
  },
  InternalError: {
    description: 'The function failed on a bug (logged and counted); nothing is half-stored.',
    content: content('Error', { internal: example('Internal error', functionError('internal error')) }),
  },
  BadGateway: {
    description: 'The function could not be run, or it crashed (API Gateway DEFAULT_5XX).',
    content: content('Error', {
      crashed: example('Function failed', gatewayError('DEFAULT_5XX', 'Internal server error')),
    }),
  },
  Unavailable: {
    description:
      "DynamoDB refused the request after retries (for a write: the parking queue, or the idempotency record store, refused it too). Retry after `Retry-After` seconds. A batch's `details` name the updates that were not kept (`updates[i]`): the others were stored or queued, retry those only.",
    headers: RETRY_AFTER,
    content: content('Error', {
      unavailable: example('Update not stored', functionError('tracking update could not be stored; retry later')),
      batch: example(
        'Part of a batch not kept',
        functionError('1 of 2 tracking updates could not be stored; retry those (the others are kept)', [
          { field: 'updates[1]', message: 'could not be stored or queued; retry this update' },
        ]),
      ),
      read: example('Read unavailable', functionError('the shipment listing is temporarily unavailable; retry later')),
    }),
  },
  GatewayTimeout: {
    description: `The function did not answer within API Gateway's ${API_GATEWAY_TIMEOUT_SECONDS} s integration timeout (DEFAULT_5XX).`,
    content: content('Error', {
      timeout: example('Timed out', gatewayError('DEFAULT_5XX', 'Endpoint request timed out')),
    }),
  },
} as const;
type ErrorResponse = keyof typeof ERROR_RESPONSES;

const POST_ERRORS: Record<number, ErrorResponse> = {
  403: 'Forbidden',
  409: 'IdempotencyInProgress',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  422: 'IdempotencyKeyReused',
  429: 'Throttled',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'Unavailable',
  504: 'GatewayTimeout',
};
const GET_ERRORS: Record<number, ErrorResponse> = {
  403: 'Forbidden',
  429: 'Throttled',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'Unavailable',
  504: 'GatewayTimeout',
};

const invalidBody = (validationError: string) =>
  gatewayError('BAD_REQUEST_BODY', 'Invalid request body', validationError);

/** Each route's own answers: its successes and its 400 (and GET /status's 404). */
const ROUTE_RESPONSES: Record<RouteKey, Record<number, unknown>> = {
  track: {
    200: {
      description:
        'Stored. A replay of an earlier request with the same Idempotency-Key carries `Idempotent-Replayed`.',
      headers: REPLAYED,
      content: content('TrackStored', {
        stored: example('Stored', {
          message: 'tracking update stored',
          tracking_id: SCAN.tracking_id,
          timestamp: ACCEPTED_AT,
        }),
      }),
    },
    202: {
      description:
        'Accepted and queued: DynamoDB refused the write, the update waits on the queue with its timestamp and will be stored (never lost).',
      headers: REPLAYED,
      content: content('TrackQueued', {
        queued: example('Queued', {
          message: 'tracking update accepted and queued for storage',
          tracking_id: SCAN.tracking_id,
          timestamp: ACCEPTED_AT,
          queued: true,
        }),
      }),
    },
    400: {
      description: `The body is not one valid update (a batch belongs on ${ROUTES.trackBatch.path}), is empty or not JSON, an \`event_time\` is out of its window, or the ${IDEMPOTENCY.header} header is malformed.${gatewayTypes(400)}`,
      content: content('Error', {
        invalid: example('Not a valid update', invalidBody('[object has missing required properties (["location"])]')),
        batch: example(
          `A batch sent to ${ROUTES.track.path}`,
          invalidBody(
            '[object has missing required properties (["location","status","tracking_id"]), object instance has properties which are not allowed by the schema: ["updates"]]',
          ),
        ),
        idempotencyKey: example(`Malformed ${IDEMPOTENCY.header}`, badIdempotencyKey),
      }),
    },
  },
  trackBatch: {
    200: {
      description: 'Every update stored. A replay carries `Idempotent-Replayed`.',
      headers: REPLAYED,
      content: content('TrackBatchResult', {
        stored: example('All stored', {
          message: '2 tracking updates stored',
          count: 2,
          stored: 2,
          queued: 0,
          results: [
            { tracking_id: SCAN.tracking_id, timestamp: ACCEPTED_AT, outcome: 'stored' },
            { tracking_id: MINIMAL.tracking_id, timestamp: ACCEPTED_AT, outcome: 'stored' },
          ],
        }),
      }),
    },
    202: {
      description:
        'Every update kept, some queued for storage (see each `outcome`). A replay carries `Idempotent-Replayed`.',
      headers: REPLAYED,
      content: content('TrackBatchResult', {
        queued: example('Some queued', {
          message: '1 tracking update stored, 1 queued for storage',
          count: 2,
          stored: 1,
          queued: 1,
          results: [
            { tracking_id: SCAN.tracking_id, timestamp: ACCEPTED_AT, outcome: 'stored' },
            { tracking_id: MINIMAL.tracking_id, timestamp: ACCEPTED_AT, outcome: 'queued' },
          ],
        }),
      }),
    },
    400: {
      description: `The body is not \`{"updates": [...]}\` with ${LIMITS.batchMin} to ${LIMITS.batchMax} valid updates, batch processing is disabled (the batch_processing flag), or the ${IDEMPOTENCY.header} header is malformed.${gatewayTypes(400)}`,
      content: content('Error', {
        invalid: example(
          'Too many updates',
          invalidBody(
            `[array is too long: must have at most ${LIMITS.batchMax} elements but instance has ${LIMITS.batchMax + 1} elements at /updates]`,
          ),
        ),
        disabled: example(
          'Batch processing disabled',
          functionError('batch processing is disabled', [
            { field: 'updates', message: 'batch processing is disabled; send one update per request' },
          ]),
        ),
        idempotencyKey: example(`Malformed ${IDEMPOTENCY.header}`, badIdempotencyKey),
      }),
    },
  },
  status: {
    200: {
      description:
        "The shipment's updates, newest first, and its current state once the stream consumer has projected it.",
      content: content('StatusPage', {
        page: example('A page with more to come', {
          tracking_id: SCAN.tracking_id,
          current: CURRENT,
          updates: [
            {
              timestamp: ACCEPTED_AT,
              status: 'in_transit',
              location: SCAN.location,
              event_time: '2026-03-01T08:30:00.000Z',
              metadata: SCAN.metadata,
              environment: 'dev',
              created_at: '2026-03-01T08:30:02.417Z',
              request_id: EXAMPLE_REQUEST_ID,
            },
            {
              timestamp: ACCEPTED_AT - 3600_000,
              status: 'pending',
              location: { lat: 52.51, lng: 13.39 },
              event_time: '2026-03-01T07:30:00.000Z',
              environment: 'dev',
              created_at: '2026-03-01T07:30:02.417Z',
            },
          ],
          count: 2,
          next_key: 'djEuMTc3MjM1MDIwMjQxNy5heVdRMm1XZ240RXNDNDFM',
        }),
      }),
    },
    400: {
      description: `A query parameter is missing or invalid (tracking_id, limit ${LIMITS.pageSizeMin} to ${LIMITS.pageSizeMax}, a last_key not issued for this tracking_id).${gatewayTypes(400)}`,
      content: content('Error', {
        missing: example('No tracking_id', missingParameters('status')),
        invalid: example(
          'Limit out of range',
          functionError('invalid query parameters', [
            { field: 'limit', message: `must be an integer from ${LIMITS.pageSizeMin} to ${LIMITS.pageSizeMax}` },
          ]),
        ),
      }),
    },
    404: {
      description: 'No update was ever recorded for this tracking_id.',
      content: content('Error', {
        unknown: example('Unknown shipment', functionError('no tracking updates for tracking_id "PKG-9999"')),
      }),
    },
  },
  shipments: {
    200: {
      description: 'The shipments whose current status is `status`, most recently updated (by event time) first.',
      content: content('ShipmentsPage', {
        page: example('A page with more to come', {
          status: 'in_transit',
          shipments: [
            CURRENT,
            {
              tracking_id: 'PKG-0002',
              status: 'in_transit',
              updated_at: 1772351700000,
              event_time: '2026-03-01T07:55:00.000Z',
              location: MINIMAL.location,
              first_seen: 1772290800000,
            },
          ],
          count: 2,
          next_cursor: 'djEuTURBeE56Y3lNelV4TnpBd01EQXdJMUJMUnkwd01EQXkuY0dTeDRTNHJwSXcyOEl6Zw',
        }),
      }),
    },
    400: {
      description: `A query parameter is missing or invalid (a status outside the enum, limit ${LIMITS.listPageSizeMin} to ${LIMITS.listPageSizeMax}, a bound that is not RFC 3339, updated_after not before updated_before, a cursor of another query).${gatewayTypes(400)}`,
      content: content('Error', {
        missing: example('No status', missingParameters('shipments')),
        invalid: example(
          'Unknown status',
          functionError('invalid query parameters', [
            { field: 'status', message: `must be one of: ${TRACKING_UPDATE_SCHEMA.properties.status.enum.join(', ')}` },
          ]),
        ),
      }),
    },
  },
};

function responses(route: RouteSpec): Json {
  const errors = route.httpMethod === 'POST' ? POST_ERRORS : GET_ERRORS;
  const all: Record<number, unknown> = { ...ROUTE_RESPONSES[route.key] };
  for (const [status, name] of Object.entries(errors)) all[Number(status)] = ref('responses', name);
  return Object.fromEntries(
    Object.keys(all)
      .map(Number)
      .sort((a, b) => a - b)
      .map((status) => [String(status), all[status]]),
  );
}

// --- request bodies --------------------------------------------------------------------------------

const REQUEST_EXAMPLES: Record<ModelName, Record<string, unknown>> = {
  TrackingUpdate: {
    scan: example('A scan with its event time and metadata', SCAN),
    minimal: example('Only what is required (the event time is then the accept time)', MINIMAL),
  },
  TrackingBatch: { batch: example('Two shipments in one request', { updates: [SCAN, MINIMAL] }) },
};

function requestBody(route: RouteSpec): Json | undefined {
  const models = Object.entries(route.requestModels ?? {});
  if (models.length === 0) return undefined;
  return {
    required: true,
    content: Object.fromEntries(
      models.map(([type, model]) => [type, { schema: ref('schemas', model), examples: REQUEST_EXAMPLES[model] }]),
    ),
  };
}

// --- the document ----------------------------------------------------------------------------------

/** The SigV4 scheme as API Gateway exports an AWS_IAM method. */
const SIGV4_SCHEME_NAME = 'sigv4';
/** https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html */
const SIGV4_SCHEME = {
  type: 'apiKey',
  name: 'Authorization',
  in: 'header',
  'x-amazon-apigateway-authtype': 'awsSigv4',
  description:
    'AWS Signature Version 4 for service `execute-api` in the stack\'s region (any AWS SDK signer, `curl --aws-sigv4`, Postman\'s "AWS Signature" auth); the caller needs `execute-api:Invoke` on the route.',
};

function operation(route: RouteSpec): Json {
  if (route.authorization !== 'AWS_IAM') throw new Error(`openapi: ${route.path} is not AWS_IAM`);
  const body = requestBody(route);
  return {
    operationId: route.key,
    summary: ROUTES[route.key].summary,
    security: [{ [SIGV4_SCHEME_NAME]: [] }],
    parameters: parameters(route),
    ...(body && { requestBody: body }),
    responses: responses(route),
  };
}

export function openApiDocument(options: OpenApiOptions): Json {
  const names = resourceNames(options.stage);
  const spec = apiSpec({ functionName: names.function('api').name, validatorName: names.requestValidator });
  const paths: Record<string, Json> = {};
  for (const route of spec.routes) (paths[route.path] ??= {})[route.httpMethod.toLowerCase()] = operation(route);

  const schemas: Record<string, unknown> = {};
  for (const name of Object.keys(MODELS) as ModelName[]) schemas[name] = schemaObject(MODELS[name]);
  for (const [name, schema] of Object.entries(RESPONSE_SCHEMAS)) schemas[name] = schemaObject(schema);

  const stage = { default: options.stage, description: 'The stage: the environment suffix.' };
  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: 'Logistics tracking API',
      version,
      description: [
        "Carriers, depots and scanners record shipment updates; customers and operations read a shipment's history and list shipments by current status.",
        `Every request is signed with AWS SigV4 (service \`execute-api\`). Every error is \`{"error", "details"?, "request_id"}\`, from API Gateway and from the function alike.`,
        `POST routes take an optional \`${IDEMPOTENCY.header}\`: a retry with the same key within ${IDEMPOTENCY.ttlSeconds / 3600} hours gets the first answer again (marked \`${IDEMPOTENCY.replayedHeader}: true\`) and stores nothing twice.`,
      ].join('\n\n'),
    },
    servers: [
      {
        url: 'https://{api_id}.execute-api.{region}.amazonaws.com/{stage}',
        description: 'The deployed stage (stack outputs `api_id`, `api_endpoint`).',
        variables: {
          api_id: { default: 'abcde12345', description: 'The REST API id (stack output `api_id`).' },
          region: { default: options.region, description: "The stack's AWS region." },
          stage,
        },
      },
      {
        url: 'http://127.0.0.1:{port}/{stage}',
        description: '`npm start`: the local API (same routes, SigV4 with the local credentials it prints).',
        variables: { port: { default: String(options.localPort), description: 'The `--port` it listens on.' }, stage },
      },
    ],
    paths,
    components: {
      schemas,
      responses: ERROR_RESPONSES,
      parameters: {
        IdempotencyKey: {
          name: IDEMPOTENCY.header,
          in: 'header',
          required: false,
          description: `Makes a retry safe: the same key (from the same caller, on the same route, with the same body) within ${IDEMPOTENCY.ttlSeconds / 3600} hours gets the first answer again instead of storing the updates twice. The same key with another body is a 422.`,
          schema: {
            type: 'string',
            minLength: IDEMPOTENCY.minLength,
            maxLength: IDEMPOTENCY.maxLength,
            pattern: IDEMPOTENCY.pattern,
          },
          example: '7b0c9e4e-2f7d-4d47-9a55-3f1f4c1e8a21',
        },
      },
      headers: {
        RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
        IdempotentReplayed: {
          description: `\`true\` when this answer repeats the first answer to this ${IDEMPOTENCY.header} (the same status and body); absent otherwise.`,
          schema: { type: 'string', enum: ['true'] },
        },
      },
      securitySchemes: { [SIGV4_SCHEME_NAME]: SIGV4_SCHEME },
    },
  };
}
