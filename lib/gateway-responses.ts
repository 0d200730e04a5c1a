/**
 * The errors API Gateway answers itself (before the function runs), in the handler's error shape
 * `{"error", "details"?, "request_id"}`. Pure data + one template function: lib/api.ts turns these
 * into GatewayResponse resources, the local API renders them with the same function.
 *
 * Gateway response templates are NOT Velocity: only `$context.*` substitution. `messageString` is
 * already a quoted JSON string (e.g. "Missing Authentication Token"); `validationErrorString` is not.
 */
export interface GatewayErrorResponse {
  /** API Gateway response type. */
  type: string;
  /**
   * Unset on DEFAULT_4XX/DEFAULT_5XX: a status there would overwrite the real status (502, 504, ...)
   * of every response type not configured on its own.
   */
  statusCode?: number;
  /**
   * The request validator's answers carry its report as `details[0]`: `field` is the part of the
   * request it judged (its messages name no JSON path, so the function stays the place that ties
   * each problem to its own field), `message` the variable holding the report: for a body,
   * `validationErrorString` (the keyword messages, JSON-escaped by API Gateway, unquoted); for
   * parameters, `messageString` (already quoted: "Missing required request parameters: [status]").
   * Sources: local/gateway/validator-messages.ts.
   */
  details?: { field: 'body' | 'query'; message: 'validationErrorString' | 'messageString' };
  /** A fixed `error` text instead of API Gateway's own message. */
  error?: string;
}

/** Where a body goes: the one thing a client refused by a model most often needs to know. */
export const INVALID_BODY_ERROR =
  'Invalid request body: POST /track takes one update, POST /track/batch takes {"updates": [...]}';

export const GATEWAY_RESPONSES: readonly GatewayErrorResponse[] = [
  // The validator's report names the failing keywords; the error says which route takes which body
  // (a batch sent to /track is refused by the model before the function could say so).
  {
    type: 'BAD_REQUEST_BODY',
    statusCode: 400,
    details: { field: 'body', message: 'validationErrorString' },
    error: INVALID_BODY_ERROR,
  },
  { type: 'BAD_REQUEST_PARAMETERS', statusCode: 400, details: { field: 'query', message: 'messageString' } },
  // Missing auth, and every unknown path or method: API Gateway answers both with this type.
  { type: 'MISSING_AUTHENTICATION_TOKEN', statusCode: 403 },
  { type: 'INVALID_SIGNATURE', statusCode: 403 },
  { type: 'EXPIRED_TOKEN', statusCode: 403 },
  { type: 'ACCESS_DENIED', statusCode: 403 },
  { type: 'UNAUTHORIZED', statusCode: 401 },
  { type: 'REQUEST_TOO_LARGE', statusCode: 413 },
  { type: 'UNSUPPORTED_MEDIA_TYPE', statusCode: 415 },
  { type: 'THROTTLED', statusCode: 429 },
  { type: 'DEFAULT_4XX' },
  { type: 'DEFAULT_5XX' },
];

/** The application/json template of one gateway response: the error shape of every answer. */
export function gatewayResponseTemplate(response: GatewayErrorResponse): string {
  const error = response.error === undefined ? '$context.error.messageString' : JSON.stringify(response.error);
  const message = (variable: 'validationErrorString' | 'messageString') =>
    variable === 'messageString' ? '$context.error.messageString' : '"$context.error.validationErrorString"';
  const details = response.details
    ? `,"details":[{"field":${JSON.stringify(response.details.field)},"message":${message(response.details.message)}}]`
    : '';
  return `{"error":${error}${details},"request_id":"$context.requestId"}`;
}

/** What the local API substitutes for the template's variables. */
export interface GatewayErrorContext {
  message: string;
  validationError?: string;
  requestId: string;
}

/** Renders a template as API Gateway does (see local/gateway/validator-messages.ts for how values are escaped). */
export function renderGatewayResponse(response: GatewayErrorResponse, context: GatewayErrorContext): string {
  // messageString: the message, quoted; validationErrorString: JSON-escaped, no quotes of its own.
  // One pass: a `$context...` inside a substituted value (a client's input) is text, not a variable.
  const escape = (value: string) => JSON.stringify(value).slice(1, -1);
  const values: Record<string, string> = {
    '$context.error.messageString': JSON.stringify(context.message),
    '$context.error.validationErrorString': escape(context.validationError ?? ''),
    '$context.requestId': escape(context.requestId),
  };
  return gatewayResponseTemplate(response).replace(
    /\$context\.error\.messageString|\$context\.error\.validationErrorString|\$context\.requestId/g,
    (variable) => values[variable],
  );
}

export function gatewayResponse(type: string): GatewayErrorResponse {
  const found = GATEWAY_RESPONSES.find((r) => r.type === type);
  if (!found) throw new Error(`no gateway response ${type}`);
  return found;
}
