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
  /** Adds `details: [validationErrorString]`, for the request validator's answers. */
  withValidationDetails: boolean;
}

export const GATEWAY_RESPONSES: readonly GatewayErrorResponse[] = [
  { type: 'BAD_REQUEST_BODY', statusCode: 400, withValidationDetails: true },
  { type: 'BAD_REQUEST_PARAMETERS', statusCode: 400, withValidationDetails: true },
  // Missing auth, and every unknown path or method: API Gateway answers both with this type.
  { type: 'MISSING_AUTHENTICATION_TOKEN', statusCode: 403, withValidationDetails: false },
  { type: 'INVALID_SIGNATURE', statusCode: 403, withValidationDetails: false },
  { type: 'EXPIRED_TOKEN', statusCode: 403, withValidationDetails: false },
  { type: 'ACCESS_DENIED', statusCode: 403, withValidationDetails: false },
  { type: 'UNAUTHORIZED', statusCode: 401, withValidationDetails: false },
  { type: 'REQUEST_TOO_LARGE', statusCode: 413, withValidationDetails: false },
  { type: 'UNSUPPORTED_MEDIA_TYPE', statusCode: 415, withValidationDetails: false },
  { type: 'THROTTLED', statusCode: 429, withValidationDetails: false },
  { type: 'DEFAULT_4XX', withValidationDetails: false },
  { type: 'DEFAULT_5XX', withValidationDetails: false },
];

/** The application/json template of one gateway response. */
export function gatewayResponseTemplate(response: GatewayErrorResponse): string {
  const details = response.withValidationDetails ? ',"details":["$context.error.validationErrorString"]' : '';
  return `{"error":$context.error.messageString${details},"request_id":"$context.requestId"}`;
}

/** What the local API substitutes for the template's variables. */
export interface GatewayErrorContext {
  message: string;
  validationError?: string;
  requestId: string;
}

/**
 * Renders a template as API Gateway would; values are JSON-escaped so the body always parses.
 * (AWS's validation strings can carry quotes; escaping keeps the local body valid JSON.)
 */
export function renderGatewayResponse(response: GatewayErrorResponse, context: GatewayErrorContext): string {
  const escape = (value: string) => JSON.stringify(value).slice(1, -1);
  return gatewayResponseTemplate(response)
    .replace('$context.error.messageString', JSON.stringify(context.message))
    .replace('$context.error.validationErrorString', escape(context.validationError ?? ''))
    .replace('$context.requestId', escape(context.requestId));
}

export function gatewayResponse(type: string): GatewayErrorResponse {
  const found = GATEWAY_RESPONSES.find((r) => r.type === type);
  if (!found) throw new Error(`no gateway response ${type}`);
  return found;
}
