/**
 * The parts of an API Gateway REST (v1) proxy event the routes use, normalised once, and the HTTP
 * decoding of a JSON request body.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { BODY_FIELD, RequestError, type ErrorDetail } from './responses';

export interface ApiRequest {
  /** API Gateway's request id (the correlation id), else the Lambda request id. */
  requestId: string;
  method: string;
  /** Header names lower-cased: clients and proxies send any case. */
  headers: Record<string, string>;
  body: string | null;
  isBase64Encoded: boolean;
  query: Record<string, string | undefined>;
  /** Every value of every query parameter (to refuse a parameter given twice). */
  queryAll: Record<string, string[] | undefined>;
  /** The caller's IAM ARN (AWS_IAM authorization), when API Gateway passes one. */
  callerArn?: string;
  /** Milliseconds left before the function times out, when the runtime says. */
  remainingMs?: () => number;
}

export function toApiRequest(event: APIGatewayProxyEvent, context: Context | undefined): ApiRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (typeof value === 'string') headers[name.toLowerCase()] = value;
  }
  const userArn = event.requestContext?.identity?.userArn;
  return {
    requestId: event.requestContext?.requestId || context?.awsRequestId || 'unknown',
    method: (event.httpMethod ?? '').toUpperCase(),
    headers,
    body: typeof event.body === 'string' ? event.body : null,
    isBase64Encoded: event.isBase64Encoded === true,
    query: { ...(event.queryStringParameters ?? {}) },
    queryAll: { ...(event.multiValueQueryStringParameters ?? {}) },
    callerArn: typeof userArn === 'string' && userArn !== '' ? userArn : undefined,
    remainingMs:
      typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined,
  };
}

function mediaType(header: string | undefined): { type?: string; charset?: string } {
  if (header === undefined) return {};
  const [type, ...params] = header.split(';');
  let charset: string | undefined;
  for (const param of params) {
    const [key, value] = param.split('=');
    if (key?.trim().toLowerCase() === 'charset') charset = value?.trim().replace(/^"|"$/g, '').toLowerCase();
  }
  return { type: type.trim().toLowerCase(), charset };
}

/**
 * The request body as parsed JSON (any JSON value: validation judges it). Throws RequestError 415 /
 * 400 / 413 / 400: the checks before validation, in the order a client can act on them.
 */
export function readJsonBody(request: ApiRequest, maxBytes: number): unknown {
  const { type, charset } = mediaType(request.headers['content-type']);
  // No Content-Type: API Gateway treats the body as application/json, and so does the handler.
  if (type !== undefined && type !== 'application/json') {
    throw new RequestError(415, `Content-Type must be application/json, got ${JSON.stringify(type)}`);
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new RequestError(415, `the body must be UTF-8 encoded JSON, got charset ${JSON.stringify(charset)}`);
  }
  if (request.body === null || request.body === '') throw new RequestError(400, 'request body is required');
  // A plain body is measured without copying it; a base64 one has to be decoded anyway.
  const decoded = request.isBase64Encoded ? Buffer.from(request.body, 'base64') : undefined;
  const size = decoded ? decoded.length : Buffer.byteLength(request.body, 'utf8');
  if (size > maxBytes) {
    throw new RequestError(413, `request body is ${size} bytes; the limit is ${maxBytes}`);
  }
  try {
    return JSON.parse(decoded ? decoded.toString('utf8') : request.body);
  } catch (error) {
    throw new RequestError(400, 'request body is not valid JSON', [
      { field: BODY_FIELD, message: (error as Error).message },
    ]);
  }
}

// --- Query parameters ------------------------------------------------------------------------------

/** A problem for each of `names` given more than once (`?limit=1&limit=2`: which one did the client mean?). */
export function repeatedParameters(request: ApiRequest, names: readonly string[]): ErrorDetail[] {
  return names.flatMap((name) =>
    (request.queryAll[name]?.length ?? 0) > 1 ? [{ field: name, message: 'must be given once' }] : [],
  );
}

const PAGE_SIZE = /^[0-9]{1,3}$/;

/** A page size parameter: `fallback` when absent, else a plain integer in min..max (else NaN, and a problem). */
export function pageSize(
  request: ApiRequest,
  name: string,
  bounds: { min: number; max: number; fallback: number },
  problems: ErrorDetail[],
): number {
  const raw = request.query[name];
  if (raw === undefined) return bounds.fallback;
  const value = PAGE_SIZE.test(raw) ? Number(raw) : NaN;
  if (!(value >= bounds.min && value <= bounds.max)) {
    problems.push({ field: name, message: `must be an integer from ${bounds.min} to ${bounds.max}` });
  }
  return value;
}
