/** The HTTP answers of the function; every error has the shape `{error, details?, request_id}` and nothing else. */
import type { APIGatewayProxyResult } from 'aws-lambda';

export interface ErrorDetail {
  /** Where the problem is: a body field path (`location.lat`, `updates[2].status`) or a query parameter. */
  field: string;
  message: string;
}

/** The body's own name in `details` (a problem with the body as a whole). */
export const BODY_FIELD = 'body';

const BASE_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } as const;

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(
  statusCode: number,
  error: string,
  requestId: string,
  options: { details?: ErrorDetail[]; headers?: Record<string, string> } = {},
): APIGatewayProxyResult {
  const body: Record<string, unknown> = { error };
  if (options.details && options.details.length > 0) body.details = options.details;
  body.request_id = requestId;
  return jsonResponse(statusCode, body, options.headers);
}

/** How long a client should wait before retrying after a 503, in seconds (the `Retry-After` of every 503). */
export const RETRY_AFTER_SECONDS = 1;

/** 503: the request could not be served now (DynamoDB, and for writes the queue too, refused it); always with Retry-After. */
export function unavailableResponse(
  error: string,
  requestId: string,
  options: { details?: ErrorDetail[] } = {},
): APIGatewayProxyResult {
  return errorResponse(503, error, requestId, { ...options, headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
}

/** A request the API refuses (4xx); the handler turns it into the error shape and counts it. */
export class RequestError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
