/** The parts of an API Gateway REST (v1) proxy event the routes use, normalised once. */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

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
    remainingMs: typeof context?.getRemainingTimeInMillis === 'function' ? () => context.getRemainingTimeInMillis() : undefined,
  };
}
