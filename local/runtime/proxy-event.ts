/**
 * The REST API (v1) Lambda proxy event API Gateway sends for one request, with the full
 * requestContext an AWS_IAM method gets: request ids, stage, resource and stage-prefixed path,
 * the caller's IAM identity, times, domain. Header names keep the client's spelling, as in AWS;
 * API Gateway's own forwarding headers are added.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { randomBytes, randomUUID } from 'crypto';
import type { CallerIdentity } from '../gateway/credentials';

export interface EventInput {
  requestId: string;
  /** API Gateway's extended request id (also the x-amz-apigw-id header). */
  extendedRequestId: string;
  traceId: string;
  method: string;
  stage: string;
  /** `/track`: the API resource (also the path here: no path parameters). */
  resourcePath: string;
  /** Raw header pairs as received: [name, value, name, value, ...]. */
  rawHeaders: string[];
  /** Decoded query parameters, repeats kept in order. */
  query: Record<string, string[]>;
  body: string;
  isBase64Encoded?: boolean;
  /** The IAM caller (AWS_IAM); null for a request API Gateway passes without an identity. */
  identity: CallerIdentity | null;
  sourceIp: string;
  domainName: string;
  protocol: string;
  port: number;
  apiId: string;
  now: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `09/Apr/2015:12:34:56 +0000`, API Gateway's requestTime format. */
function requestTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** An X-Ray trace id, `Root=1-<8 hex time>-<24 hex>`. */
export function newTraceId(now: number = Date.now()): string {
  return `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

/** A stable fake id of 10 lower-case characters (API and resource ids look like this). */
export function shortId(seed: string): string {
  let h = 2166136261;
  for (const c of seed) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return (h.toString(36) + 'abcdefghij').slice(0, 10);
}

export function buildProxyEvent(input: EventInput): APIGatewayProxyEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  const caseOf: Record<string, string> = {};
  const add = (name: string, value: string) => {
    const key = caseOf[name.toLowerCase()] ?? name;
    caseOf[name.toLowerCase()] = key;
    (multiValueHeaders[key] ??= []).push(value);
  };
  for (let i = 0; i < input.rawHeaders.length; i += 2) add(input.rawHeaders[i], input.rawHeaders[i + 1]);
  // What API Gateway adds on the way to the integration.
  const forwarded = multiValueHeaders[caseOf['x-forwarded-for'] ?? ''];
  delete multiValueHeaders[caseOf['x-forwarded-for'] ?? ''];
  add('X-Forwarded-For', [...(forwarded ?? []), input.sourceIp].join(', '));
  for (const name of ['X-Forwarded-Port', 'X-Forwarded-Proto', 'X-Amzn-Trace-Id'])
    delete multiValueHeaders[caseOf[name.toLowerCase()] ?? ''];
  add('X-Forwarded-Port', String(input.port));
  add('X-Forwarded-Proto', input.protocol);
  add('X-Amzn-Trace-Id', input.traceId);

  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1]]));
  const hasQuery = Object.keys(input.query).length > 0;
  const queryStringParameters = hasQuery
    ? Object.fromEntries(Object.entries(input.query).map(([k, v]) => [k, v[v.length - 1]]))
    : null;

  return {
    resource: input.resourcePath,
    path: input.resourcePath,
    httpMethod: input.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters: hasQuery ? input.query : null,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      resourceId: shortId(`${input.apiId}${input.resourcePath}`).slice(0, 6),
      resourcePath: input.resourcePath,
      httpMethod: input.method,
      extendedRequestId: input.extendedRequestId,
      requestTime: requestTime(input.now),
      path: `/${input.stage}${input.resourcePath}`,
      accountId: input.identity?.accountId ?? null,
      protocol: 'HTTP/1.1',
      stage: input.stage,
      domainPrefix: input.domainName.split('.')[0].split(':')[0],
      requestTimeEpoch: input.now,
      requestId: input.requestId,
      identity: {
        cognitoIdentityPoolId: null,
        accountId: input.identity?.accountId ?? null,
        cognitoIdentityId: null,
        caller: input.identity?.userId ?? null,
        sourceIp: input.sourceIp,
        principalOrgId: null,
        accessKey: input.identity?.accessKey ?? null,
        cognitoAuthenticationType: null,
        cognitoAuthenticationProvider: null,
        userArn: input.identity?.userArn ?? null,
        userAgent: headers[caseOf['user-agent'] ?? ''] ?? null,
        user: input.identity?.userId ?? null,
        apiKey: null,
        apiKeyId: null,
        clientCert: null,
      },
      domainName: input.domainName,
      deploymentId: shortId(`${input.apiId}/deployment`).slice(0, 6),
      apiId: input.apiId,
    } as unknown as APIGatewayProxyEvent['requestContext'],
    body: input.body === '' ? null : input.body,
    isBase64Encoded: input.isBase64Encoded ?? false,
  };
}

/** A request as a test or the benchmark describes it; everything else takes API Gateway's defaults. */
export interface ProxyRequest {
  method: string;
  /** The API resource, e.g. `/track`. */
  path: string;
  body?: string | null;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string>;
  isBase64Encoded?: boolean;
  requestId?: string;
  stage?: string;
  /** The caller; default a fixed IAM user of the local account; null = no IAM identity. */
  identity?: CallerIdentity | null;
}

const DEFAULT_CALLER: CallerIdentity = {
  accountId: '123456789012',
  userId: 'AIDALOCALCALLER000001',
  userArn: 'arn:aws:iam::123456789012:user/local-caller',
  accessKey: 'AKIALOCALCALLER00001',
};

/** The proxy event API Gateway would send for `request` (the same builder the local gateway uses). */
export function proxyEvent(request: ProxyRequest): APIGatewayProxyEvent {
  const now = Date.now();
  const requestId = request.requestId ?? randomUUID();
  return buildProxyEvent({
    requestId,
    extendedRequestId: `${requestId.slice(0, 14)}=`,
    traceId: newTraceId(now),
    method: request.method,
    stage: request.stage ?? 'local',
    resourcePath: request.path,
    rawHeaders: Object.entries(request.headers ?? {}).flat(),
    query: Object.fromEntries(Object.entries(request.query ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])),
    body: request.body ?? '',
    isBase64Encoded: request.isBase64Encoded,
    identity: request.identity === undefined ? DEFAULT_CALLER : request.identity,
    sourceIp: '127.0.0.1',
    domainName: 'localhost',
    protocol: 'http',
    port: 3000,
    apiId: 'localapi01',
    now,
  });
}
