/**
 * The REST API front, behaving as the deployed API Gateway stage does, in its order:
 * payload limit (10 MB) -> route (`/<stage>/<resource>`, unknown path or method = 403 "Missing
 * Authentication Token") -> AWS_IAM (SigV4) -> stage throttling (optional) -> request validator
 * (required query parameters, the body against the model) -> Lambda proxy integration (the REST v1
 * event, the function's answer passed through unchanged; a failed invocation or a malformed proxy
 * response is a 5xx). Every error the gateway answers itself is rendered from the stack's gateway
 * responses (lib/gateway-responses.ts), so it is byte for byte the shape the stack deploys.
 * One log line per request: method, path, status, milliseconds; one more for a SigV4 mismatch,
 * naming the part of the request to blame (the client is told nothing more than API Gateway says).
 *
 * Local only: `documents` (the OpenAPI document) are served under the stage without auth, before
 * any route is matched. API Gateway serves no such path.
 */
import { randomBytes, randomUUID } from 'crypto';
import * as http from 'http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { LIMITS } from '../../lambda/contract';
import type { ApiSpec, RouteSpec } from '../../lib/api-spec';
import { API_GATEWAY_TIMEOUT_SECONDS } from '../../lib/config';
import { gatewayResponse, renderGatewayResponse } from '../../lib/gateway-responses';
import type { InvokeOutcome } from '../runtime/lambda-runtime';
import { buildProxyEvent, newTraceId } from '../runtime/proxy-event';
import { createRequestValidator } from './request-validator';
import type { AuthFailure, SigV4Verifier } from './sigv4';
import type { TokenBucket } from './throttle';

/** Lambda's synchronous invocation payload limit: a larger event never reaches the function. */
const LAMBDA_SYNC_PAYLOAD_MAX_BYTES = 6 * 1024 * 1024;

export interface GatewayOptions {
  spec: ApiSpec;
  stage: string;
  apiId: string;
  verifier: SigV4Verifier;
  invoke(event: APIGatewayProxyEvent, invocation: { requestId: string; traceId: string }): Promise<InvokeOutcome>;
  /** Stage throttling; none when undefined. */
  throttle?: TokenBucket;
  payloadLimitBytes?: number;
  /** API Gateway's integration timeout; default 29 s. */
  integrationTimeoutMs?: number;
  /** One line per request, plus the gateway's own error notes (like its execution log). */
  log?: (line: string) => void;
  /** Local only: path under the stage (`/openapi.json`) -> JSON text, served to GET and HEAD without auth. */
  documents?: Record<string, string>;
}

/** x-amzn-ErrorType for the gateway responses the emulator produces. */
const ERROR_TYPES: Record<string, string> = {
  BAD_REQUEST_BODY: 'BadRequestException',
  BAD_REQUEST_PARAMETERS: 'BadRequestException',
  REQUEST_TOO_LARGE: 'BadRequestException',
  THROTTLED: 'TooManyRequestsException',
  DEFAULT_5XX: 'InternalServerErrorException',
};

/** What to check when a signature does not match, by the part the verifier blames. */
const MISMATCH_HINTS: Record<NonNullable<AuthFailure['differs']>, string> = {
  date: 'X-Amz-Date is outside the clock skew, or not the date of the credential scope',
  headers: 'a signed header is missing or was changed, e.g. Host without its port',
  query:
    'the query string was signed in another order or spelling: SigV4 sorts the parameters by name (curl before 8.x ' +
    'signs them as given: send them sorted), encodes them per RFC 3986, a space as %20 not `+`',
  path: 'the path was signed in another encoding',
  body: 'the body is not the one hashed in x-amz-content-sha256',
  signature: 'the Signature is not 64 lower-case hex digits',
};

interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

class PayloadTooLarge extends Error {}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new PayloadTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decodeQuery(rawQuery: string): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  for (const [key, value] of new URLSearchParams(rawQuery)) (query[key] ??= []).push(value);
  return query;
}

/** Checks a Lambda proxy result as API Gateway does; a malformed one is a 5xx. */
function proxyReply(payload: unknown): Reply | undefined {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const result = payload as Record<string, unknown>;
  const status = result.statusCode;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 100 || status > 599) return undefined;
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') return undefined;
  const headers: Record<string, string | string[]> = {};
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  if (result.multiValueHeaders !== undefined && result.multiValueHeaders !== null) {
    if (typeof result.multiValueHeaders !== 'object') return undefined;
    for (const [name, values] of Object.entries(result.multiValueHeaders as Record<string, unknown>)) {
      if (!Array.isArray(values) || !values.every(scalar)) return undefined;
      headers[name] = values.map(String);
    }
  }
  if (result.headers !== undefined && result.headers !== null) {
    if (typeof result.headers !== 'object') return undefined;
    for (const [name, value] of Object.entries(result.headers as Record<string, unknown>)) {
      if (!scalar(value)) return undefined;
      headers[name] = String(value);
    }
  }
  const text = (result.body as string | undefined | null) ?? '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { status, headers, body };
}

export function createGatewayHandler(options: GatewayOptions): http.RequestListener {
  const validate = createRequestValidator(options.spec);
  const limit = options.payloadLimitBytes ?? LIMITS.gatewayPayloadMaxBytes;
  const log = options.log ?? (() => undefined);
  const integrationTimeoutMs = options.integrationTimeoutMs ?? API_GATEWAY_TIMEOUT_SECONDS * 1000;
  const routes = new Map<string, RouteSpec>(
    options.spec.routes.map((r) => [`${r.httpMethod} /${options.stage}${r.path}`, r]),
  );
  const documents = new Map(
    Object.entries(options.documents ?? {}).map(([at, text]) => [`/${options.stage}${at}`, Buffer.from(text)]),
  );

  return async (req, res) => {
    const started = process.hrtime.bigint();
    const requestId = randomUUID();
    const extendedRequestId = `${randomBytes(11).toString('base64').slice(0, 14)}=`;
    const incomingTrace = /Root=[^;]+/.exec(String(req.headers['x-amzn-trace-id'] ?? ''))?.[0];
    const traceId = `${incomingTrace ?? newTraceId()};Sampled=0`;
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
    const rawQuery = queryAt < 0 ? '' : url.slice(queryAt + 1);

    const finish = (reply: Reply) => {
      const headers: Record<string, string | string[]> = { ...reply.headers };
      const has = (name: string) => Object.keys(headers).some((h) => h.toLowerCase() === name);
      if (!has('content-type')) headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(reply.body.length);
      headers['x-amzn-RequestId'] = requestId;
      headers['x-amz-apigw-id'] = extendedRequestId;
      headers['X-Amzn-Trace-Id'] = traceId;
      res.writeHead(reply.status, headers);
      res.end(req.method === 'HEAD' ? undefined : reply.body);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(`${req.method} ${rawPath} ${reply.status} ${ms.toFixed(1)}ms`);
    };

    /** `status` is what API Gateway answers for a DEFAULT_* type, which carries no status of its own. */
    const gatewayError = (
      type: string,
      message: string,
      errorType: string,
      validationError?: string,
      status = 500,
    ): Reply => {
      const response = gatewayResponse(type);
      return {
        status: response.statusCode ?? status,
        headers: { 'Content-Type': 'application/json', 'x-amzn-ErrorType': errorType },
        body: Buffer.from(renderGatewayResponse(response, { message, validationError, requestId })),
      };
    };

    try {
      const declared = Number(req.headers['content-length'] ?? 0);
      if (declared > limit) {
        req.resume();
        return finish(gatewayError('REQUEST_TOO_LARGE', 'Request Too Long', ERROR_TYPES.REQUEST_TOO_LARGE));
      }
      let body: Buffer;
      try {
        body = await readBody(req, limit);
      } catch (error) {
        if (error instanceof PayloadTooLarge) {
          return finish(gatewayError('REQUEST_TOO_LARGE', 'Request Too Long', ERROR_TYPES.REQUEST_TOO_LARGE));
        }
        throw error;
      }

      const received = {
        method: req.method ?? 'GET',
        rawPath,
        rawQuery,
        headers: req.headersDistinct as Record<string, string[]>,
        body,
      };
      const document = documents.get(rawPath);
      if (document && (req.method === 'GET' || req.method === 'HEAD')) {
        return finish({ status: 200, headers: { 'Content-Type': 'application/json' }, body: document });
      }

      const route = routes.get(`${req.method} ${rawPath}`);
      if (!route) {
        // API Gateway still parses a SigV4 header on an unknown route; a malformed one is reported.
        const auth = req.headers.authorization ? await options.verifier.verify(received) : undefined;
        if (auth && !auth.ok && auth.errorType === 'IncompleteSignatureException') {
          return finish(gatewayError(auth.responseType, auth.message, auth.errorType));
        }
        return finish(
          gatewayError(
            'MISSING_AUTHENTICATION_TOKEN',
            'Missing Authentication Token',
            'MissingAuthenticationTokenException',
          ),
        );
      }

      const auth = await options.verifier.verify(received);
      if (!auth.ok) {
        if (auth.differs) {
          log(`${requestId} SigV4 signature mismatch: the ${auth.differs} differs (${MISMATCH_HINTS[auth.differs]})`);
        }
        return finish(gatewayError(auth.responseType, auth.message, auth.errorType));
      }

      if (options.throttle && !options.throttle.take()) {
        return finish(gatewayError('THROTTLED', 'Too Many Requests', ERROR_TYPES.THROTTLED));
      }

      const query = decodeQuery(rawQuery);
      const text = body.toString('utf8');
      const invalid = validate(route, { query, contentType: req.headers['content-type'], body: text });
      if (invalid) {
        return finish(
          gatewayError(
            invalid.responseType,
            invalid.message,
            ERROR_TYPES[invalid.responseType],
            invalid.validationError,
          ),
        );
      }

      const host = String(req.headers.host ?? '');
      const event = buildProxyEvent({
        requestId,
        extendedRequestId,
        traceId,
        method: route.httpMethod,
        stage: options.stage,
        resourcePath: route.path,
        rawHeaders: req.rawHeaders,
        query,
        body: text,
        identity: auth.identity,
        sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        domainName: host.replace(/:\d+$/, ''),
        protocol: 'http',
        port: req.socket.localPort ?? 80,
        apiId: options.apiId,
        now: Date.now(),
      });
      if (Buffer.byteLength(JSON.stringify(event)) > LAMBDA_SYNC_PAYLOAD_MAX_BYTES) {
        return finish(gatewayError('REQUEST_TOO_LARGE', 'Request Too Long', ERROR_TYPES.REQUEST_TOO_LARGE));
      }

      // The function sees Lambda's form of the header: the root, a parent segment id, the sampling decision.
      const lambdaTraceId = `${incomingTrace ?? traceId.split(';')[0]};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        options.invoke(event, { requestId, traceId: lambdaTraceId }),
        new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), integrationTimeoutMs))),
      ]).finally(() => clearTimeout(timer));
      if (outcome === 'timeout') {
        log(`${requestId} Execution failed due to a timeout error`);
        return finish(
          gatewayError('DEFAULT_5XX', 'Endpoint request timed out', 'InternalServerErrorException', undefined, 504),
        );
      }
      if (!outcome.ok) {
        log(
          `${requestId} Lambda execution failed due to customer function error: ${outcome.errorType}: ${outcome.errorMessage}`,
        );
        return finish(gatewayError('DEFAULT_5XX', 'Internal server error', ERROR_TYPES.DEFAULT_5XX, undefined, 502));
      }
      const reply = proxyReply(outcome.payload);
      if (!reply) {
        log(`${requestId} Execution failed due to configuration error: Malformed Lambda proxy response`);
        return finish(gatewayError('DEFAULT_5XX', 'Internal server error', ERROR_TYPES.DEFAULT_5XX, undefined, 502));
      }
      return finish(reply);
    } catch (error) {
      log(`${requestId} gateway error: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) finish(gatewayError('DEFAULT_5XX', 'Internal server error', ERROR_TYPES.DEFAULT_5XX));
    }
  };
}
