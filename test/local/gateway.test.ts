/**
 * The API Gateway front on its own, with a stub function: routing, the proxy event it builds, the
 * answers it passes through or renders from the stack's gateway responses, the documents it serves
 * (local only) and what it logs of a SigV4 mismatch.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { apiSpec } from '../../lib/api-spec';
import { INVALID_BODY_ERROR, gatewayResponse, renderGatewayResponse } from '../../lib/gateway-responses';
import { identityOf } from '../../local/gateway/credentials';
import { createGatewayHandler } from '../../local/gateway/gateway';
import type { InvokeOutcome } from '../../local/runtime/lambda-runtime';
import { SigV4Verifier } from '../../local/gateway/sigv4';
import { TokenBucket } from '../../local/gateway/throttle';
import { apiClient, type ApiClient } from '../e2e/client';

const KEY = { accessKeyId: 'GATEWAYTESTKEY000001', secretAccessKey: 'gateway-secret', userName: 'gw' };
const REGION = 'us-west-2';
const DOCUMENT = JSON.stringify({ openapi: '3.0.3', info: { title: 'test', version: '1' }, paths: {} });

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
      documents: { '/openapi.json': DOCUMENT },
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
      error: INVALID_BODY_ERROR,
      details: [{ field: 'body', message: expect.stringContaining('"location"') }],
      request_id: json.headers['x-amzn-requestid'],
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
    expect(notJson.json.error).toBe(INVALID_BODY_ERROR);
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

  it('validates each POST route against its own model: a batch on /track/batch, not on /track', async () => {
    const batch = JSON.stringify({ updates: [JSON.parse(valid), JSON.parse(valid)] });
    expect((await client.request({ method: 'POST', path: '/track/batch', body: batch })).status).toBe(200);
    expect(events.map((e) => e.resource)).toEqual(['/track/batch']);
    const misplaced = await client.request({ method: 'POST', path: '/track', body: batch });
    expect({ status: misplaced.status, error: misplaced.json.error }).toEqual({
      status: 400,
      error: INVALID_BODY_ERROR,
    });
    const single = await client.request({ method: 'POST', path: '/track/batch', body: valid });
    expect(single.status).toBe(400);
    expect(events).toHaveLength(1);
  });

  it('serves its documents under the stage without auth, to GET and HEAD only', async () => {
    const get = await client.request({ method: 'GET', path: '/openapi.json', sign: false });
    expect({ status: get.status, type: get.headers['content-type'], text: get.text }).toEqual({
      status: 200,
      type: 'application/json',
      text: DOCUMENT,
    });
    expect(lines[lines.length - 1]).toMatch(/^GET \/qa\/openapi\.json 200 /);
    const head = await client.request({ method: 'HEAD', path: '/openapi.json', sign: false });
    expect({ status: head.status, length: head.headers['content-length'], text: head.text }).toEqual({
      status: 200,
      length: String(Buffer.byteLength(DOCUMENT)),
      text: '',
    });
    // Any other method is no document, and no route: what API Gateway answers an unknown path.
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      for (const sign of [false, true]) {
        const r = await client.request({ method, path: '/openapi.json', body: '{}', sign });
        expect({ method, sign, status: r.status, error: r.json.error }).toEqual({
          method,
          sign,
          status: 403,
          error: 'Missing Authentication Token',
        });
      }
    }
    const otherStage = await apiClient(`http://127.0.0.1:${port}/prod`, REGION, async () => KEY).request({
      method: 'GET',
      path: '/openapi.json',
      sign: false,
    });
    expect({ status: otherStage.status, error: otherStage.json.error }).toEqual({
      status: 403,
      error: 'Missing Authentication Token',
    });
    expect(events).toEqual([]);
  });

  it('logs which part of a request made its signature differ (a query re-spelled after signing)', async () => {
    const signer = new SignatureV4({ service: 'execute-api', region: REGION, credentials: KEY, sha256: Sha256 });
    const host = `127.0.0.1:${port}`;
    const signed = await signer.sign({
      method: 'GET',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path: '/qa/status',
      query: { tracking_id: 'PKG 1' },
      headers: { host },
    });
    // Signed as `PKG%201`, sent with `+` for the space (as URLSearchParams writes it).
    const answer = await new Promise<{ status: number; requestId: string }>((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port, method: 'GET', path: '/qa/status?tracking_id=PKG+1', headers: signed.headers },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, requestId: String(res.headers['x-amzn-requestid']) }),
          );
        },
      );
      req.on('error', reject).end();
    });
    expect(answer.status).toBe(403);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${answer.requestId} SigV4 signature mismatch: the query differs \\(.+\\)$`)),
    );
    expect(events).toEqual([]);

    // A good signature logs nothing of the kind.
    const before = lines.length;
    expect((await client.request({ method: 'GET', path: '/status', query: { tracking_id: 'PKG 1' } })).status).toBe(
      200,
    );
    expect(lines.slice(before).filter((line) => line.includes('SigV4'))).toEqual([]);
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
