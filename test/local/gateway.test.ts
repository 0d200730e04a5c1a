/**
 * The API Gateway front on its own, with a stub function: routing, the proxy event it builds, the
 * answers it passes through or renders from the stack's gateway responses.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { apiSpec } from '../../lib/api-spec';
import { gatewayResponse, renderGatewayResponse } from '../../lib/gateway-responses';
import { identityOf } from '../../local/gateway/credentials';
import { createGatewayHandler } from '../../local/gateway/gateway';
import type { InvokeOutcome } from '../../local/runtime/lambda-runtime';
import { SigV4Verifier } from '../../local/gateway/sigv4';
import { TokenBucket } from '../../local/gateway/throttle';
import { apiClient, type ApiClient } from '../e2e/client';

const KEY = { accessKeyId: 'GATEWAYTESTKEY000001', secretAccessKey: 'gateway-secret', userName: 'gw' };
const REGION = 'us-west-2';

describe('local API Gateway front', () => {
  let server: http.Server;
  let client: ApiClient;
  let port: number;
  let events: APIGatewayProxyEvent[];
  let answer: (event: APIGatewayProxyEvent) => InvokeOutcome;
  let throttle: TokenBucket | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    const handler = createGatewayHandler({
      spec: apiSpec({ functionName: 'fn', validatorName: 'v' }),
      stage: 'qa',
      apiId: 'abcdefghij',
      verifier: new SigV4Verifier({ region: REGION, credentials: [KEY] }),
      invoke: async (event) => {
        events.push(event);
        return answer(event);
      },
      log: (line) => lines.push(line),
    });
    server = http.createServer((req, res) => {
      // The throttle is swapped per test; the handler reads it through this wrapper.
      if (throttle && !throttle.take()) {
        res.writeHead(599).end();
        return;
      }
      void handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    client = apiClient(`http://127.0.0.1:${port}/qa`, REGION, async () => KEY);
  });
  beforeEach(() => {
    events = [];
    throttle = undefined;
    answer = () => ({ ok: true, payload: { statusCode: 200, body: '{"ok":true}' } });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const valid = JSON.stringify({ tracking_id: 'PKG-1', status: 'pending', location: { lat: 1, lng: 2 } });

  it('builds the REST v1 proxy event with the full requestContext', async () => {
    const r = await client.request({
      method: 'GET',
      path: '/status',
      query: { tracking_id: 'PKG 1', limit: '5' },
      headers: { 'X-Custom-Header': 'Kept' },
    });
    expect(r.text).toBe('{"ok":true}');
    const [event] = events;
    expect(event).toMatchObject({
      resource: '/status',
      path: '/status',
      httpMethod: 'GET',
      queryStringParameters: { tracking_id: 'PKG 1', limit: '5' },
      multiValueQueryStringParameters: { tracking_id: ['PKG 1'], limit: ['5'] },
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
    });
    expect(event.headers).toMatchObject({
      'X-Custom-Header': 'Kept',
      'X-Forwarded-Proto': 'http',
      'X-Forwarded-For': '127.0.0.1',
    });
    expect(event.multiValueHeaders['X-Custom-Header']).toEqual(['Kept']);
    const identity = identityOf(KEY);
    expect(event.requestContext).toMatchObject({
      resourcePath: '/status',
      httpMethod: 'GET',
      path: '/qa/status',
      stage: 'qa',
      protocol: 'HTTP/1.1',
      apiId: 'abcdefghij',
      accountId: identity.accountId,
      requestId: r.headers['x-amzn-requestid'],
      extendedRequestId: r.headers['x-amz-apigw-id'],
      identity: {
        accessKey: KEY.accessKeyId,
        accountId: identity.accountId,
        caller: identity.userId,
        user: identity.userId,
        userArn: 'arn:aws:iam::123456789012:user/gw',
        sourceIp: '127.0.0.1',
        cognitoIdentityId: null,
      },
    });
    expect(event.requestContext.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(Math.abs(event.requestContext.requestTimeEpoch - Date.now())).toBeLessThan(5000);
    expect(lines[lines.length - 1]).toMatch(/^GET \/qa\/status 200 \d+\.\dms$/);
  });

  it('passes the function answer through unchanged (status, headers, multi-value headers, base64 body)', async () => {
    answer = () => ({
      ok: true,
      payload: {
        statusCode: 201,
        headers: { 'Content-Type': 'text/plain', 'X-One': 'a' },
        multiValueHeaders: { 'X-Many': ['1', '2'] },
        body: Buffer.from('hello').toString('base64'),
        isBase64Encoded: true,
      },
    });
    const r = await client.request({ method: 'POST', path: '/track', body: valid });
    expect(r.status).toBe(201);
    expect(r.text).toBe('hello');
    expect(r.headers).toMatchObject({ 'content-type': 'text/plain', 'x-one': 'a', 'x-many': '1, 2' });
    expect(events[0].body).toBe(valid);
  });

  it('renders its own errors from the stack gateway responses, with the request id', async () => {
    const r = await client.request({ method: 'GET', path: '/status' });
    const message = 'Missing required request parameters: [tracking_id]';
    expect(r.status).toBe(400);
    expect(r.headers['x-amzn-errortype']).toBe('BadRequestException');
    expect(r.text).toBe(
      renderGatewayResponse(gatewayResponse('BAD_REQUEST_PARAMETERS'), {
        message,
        validationError: message,
        requestId: String(r.headers['x-amzn-requestid']),
      }),
    );
    expect(events).toEqual([]);
  });

  it('treats a blank required parameter as missing', async () => {
    const r = await client.request({ method: 'GET', path: '/status', query: { tracking_id: '' } });
    expect(r.json.error).toBe('Missing required request parameters: [tracking_id]');
  });

  it('validates the body against the model for application/json (and no Content-Type), not other media types', async () => {
    const bad = JSON.stringify({ tracking_id: 'PKG-1', status: 'pending' });
    const json = await client.request({ method: 'POST', path: '/track', body: bad });
    expect(json.json).toEqual({
      error: 'Invalid request body',
      details: ['[instance failed to match exactly one schema (matched 0 out of 2)]'],
      request_id: expect.any(String),
    });
    const charset = await client.request({
      method: 'POST',
      path: '/track',
      body: bad,
      headers: { 'content-type': 'Application/JSON; charset=utf-8' },
    });
    expect(charset.status).toBe(400);
    const notJson = await client.request({
      method: 'POST',
      path: '/track',
      body: '{oops',
      headers: { 'content-type': 'application/json' },
    });
    expect(notJson.json.error).toBe('Invalid request body');
    expect(events).toEqual([]);

    const text = await client.request({
      method: 'POST',
      path: '/track',
      body: bad,
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(200);
    expect(events).toHaveLength(1);
  });

  it('accepts a valid batch body (the model is one update or a batch)', async () => {
    const batch = JSON.stringify({ updates: [JSON.parse(valid), JSON.parse(valid)] });
    expect((await client.request({ method: 'POST', path: '/track', body: batch })).status).toBe(200);
  });

  it('answers unknown paths, methods and stages with 403 Missing Authentication Token, signed or not', async () => {
    for (const [method, path] of [
      ['GET', '/track'],
      ['PUT', '/status'],
      ['GET', '/'],
      ['GET', '/track/extra'],
    ] as const) {
      const r = await client.request({ method, path });
      expect({ method, path, status: r.status, error: r.json.error }).toEqual({
        method,
        path,
        status: 403,
        error: 'Missing Authentication Token',
      });
      expect(r.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    }
    const otherStage = await apiClient(`http://127.0.0.1:${port}/prod`, REGION, async () => KEY).request({
      method: 'GET',
      path: '/status',
      query: { tracking_id: 'x' },
    });
    expect(otherStage.status).toBe(403);
    expect(events).toEqual([]);
  });

  it('refuses a payload over 10 MB with 413 before running anything', async () => {
    const r = await client.request({
      method: 'POST',
      path: '/track',
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
      sign: false,
    });
    expect(r.status).toBe(413);
    expect(r.json.error).toBe('Request Too Long');
    expect(events).toEqual([]);
  });

  it('answers 502 "Internal server error" when the function fails or returns a malformed proxy response', async () => {
    answer = () => ({ ok: false, errorType: 'Error', errorMessage: 'boom' });
    const failed = await client.request({ method: 'POST', path: '/track', body: valid });
    // Lambda errors and malformed proxy responses: 502, as API Gateway answers them.
    expect(failed.status).toBe(502);
    expect(failed.json).toEqual({ error: 'Internal server error', request_id: failed.headers['x-amzn-requestid'] });
    expect(lines.some((l) => l.includes('Lambda execution failed') && l.includes('boom'))).toBe(true);

    for (const payload of [
      null,
      'text',
      { body: 'no status' },
      { statusCode: 200, body: { not: 'a string' } },
      { statusCode: 200, headers: { a: {} } },
    ]) {
      answer = () => ({ ok: true, payload });
      const r = await client.request({ method: 'POST', path: '/track', body: valid });
      expect({ payload, status: r.status, error: r.json.error }).toEqual({
        payload,
        status: 502,
        error: 'Internal server error',
      });
    }
  });

  it('throttles with 429 Too Many Requests when the stage bucket is empty', async () => {
    const bucket = new TokenBucket(1, 2, () => 0);
    const limited = createGatewayHandler({
      spec: apiSpec({ functionName: 'fn', validatorName: 'v' }),
      stage: 'qa',
      apiId: 'abcdefghij',
      verifier: new SigV4Verifier({ region: REGION, credentials: [KEY] }),
      invoke: async () => ({ ok: true, payload: { statusCode: 200, body: '{}' } }),
      throttle: bucket,
    });
    const throttled = http.createServer(limited);
    await new Promise<void>((resolve) => throttled.listen(0, '127.0.0.1', resolve));
    try {
      const c = apiClient(`http://127.0.0.1:${(throttled.address() as AddressInfo).port}/qa`, REGION, async () => KEY);
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const r = await c.request({
          method: 'GET',
          path: '/status',
          query: { tracking_id: 'x' },
          retryThrottled: false,
        });
        statuses.push(r.status);
        if (r.status === 429) expect(r.json.error).toBe('Too Many Requests');
      }
      expect(statuses).toEqual([200, 200, 429]);
    } finally {
      await new Promise<void>((resolve) => throttled.close(() => resolve()));
    }
  });
});
