/** The HTTP answers of the function; every error has the shape `{error, details?, request_id}`. */
import type { APIGatewayProxyResult } from 'aws-lambda';

export interface ErrorDetail {
  /** Where the problem is: a body field path (`location.lat`, `updates[2].status`) or a query parameter. */
  field: string;
  message: string;
}

const BASE_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } as const;

export function jsonResponse(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { ...BASE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function errorResponse(
  statusCode: number,
  error: string,
  requestId: string,
  options: { details?: ErrorDetail[]; headers?: Record<string, string>; extra?: Record<string, unknown> } = {},
): APIGatewayProxyResult {
  const body: Record<string, unknown> = { error };
  if (options.details && options.details.length > 0) body.details = options.details;
  Object.assign(body, options.extra);
  body.request_id = requestId;
  return jsonResponse(statusCode, body, options.headers);
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
