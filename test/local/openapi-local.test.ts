/**
 * The local API serves the OpenAPI document at /<stage>/openapi.json, without auth (local only:
 * API Gateway serves no such path), naming itself as the local server; and the real function's
 * answers behind it match the response schemas the document gives (lambda/contract-responses.ts).
 */
import Ajv from 'ajv-draft-04';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RESPONSE_SCHEMAS } from '../../lambda/contract-responses';
import { openApiDocument } from '../../lib/openapi';
import { OPENAPI_DOCUMENT_PATH, startLocalApi, type LocalApi } from '../../local/local-api';
import { apiClient, type ApiClient } from '../e2e/client';

const STAGE = 'docs1';

describe('the local API serves its OpenAPI document', () => {
  let api: LocalApi;
  let client: ApiClient;
  let bundleDir: string;
  const lines: string[] = [];

  beforeAll(async () => {
    bundleDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tracking-openapi-'));
    api = await startLocalApi({
      port: 0,
      stage: STAGE,
      bundleDir,
      credentials: [{ accessKeyId: 'OPENAPILOCALKEY00001', secretAccessKey: 'd0cs', userName: 'reader' }],
      log: (line) => lines.push(line),
      functionLog: () => undefined,
    });
    client = apiClient(api.url, api.region, async () => api.credentials);
  });
  afterAll(async () => {
    await api?.close();
    if (bundleDir) fs.rmSync(bundleDir, { recursive: true, force: true });
  });

  it('answers an unauthenticated GET /<stage>/openapi.json with the document, naming this server', async () => {
    const r = await client.request({ method: 'GET', path: OPENAPI_DOCUMENT_PATH, sign: false });
    expect({ status: r.status, type: r.headers['content-type'] }).toEqual({ status: 200, type: 'application/json' });
    const port = Number(new URL(api.url).port);
    expect(r.json).toEqual(openApiDocument({ stage: STAGE, region: api.region, localPort: port }));
    expect(r.json.servers).toContainEqual(
      expect.objectContaining({
        url: 'http://127.0.0.1:{port}/{stage}',
        variables: expect.objectContaining({ port: expect.objectContaining({ default: String(port) }) }),
      }),
    );
  });

  it('serves no document to other methods, nor under another stage: 403 like any unknown path', async () => {
    for (const method of ['POST', 'PUT', 'DELETE'] as const) {
      const r = await client.request({ method, path: OPENAPI_DOCUMENT_PATH, body: '{}' });
      expect({ method, status: r.status, error: r.json.error }).toEqual({
        method,
        status: 403,
        error: 'Missing Authentication Token',
      });
    }
    const otherStage = await apiClient(
      api.url.replace(new RegExp(`/${STAGE}$`), '/prod'),
      api.region,
      async () => api.credentials,
    ).request({ method: 'GET', path: OPENAPI_DOCUMENT_PATH, sign: false });
    expect({ status: otherStage.status, error: otherStage.json.error }).toEqual({
      status: 403,
      error: 'Missing Authentication Token',
    });
  });

  it("answers as the document's response schemas say (the real function behind the gateway)", async () => {
    const ajv = new Ajv({ allErrors: true });
    const problems: string[] = [];
    const expectBody = (what: string, schema: object, body: unknown) => {
      const validate = ajv.compile(schema);
      if (!validate(body)) problems.push(`${what}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`);
    };
    const update = { tracking_id: 'DOC-1', status: 'in_transit', location: { lat: 1.5, lng: 2.5 }, metadata: { a: 1 } };

    const one = await client.request({ method: 'POST', path: '/track', body: JSON.stringify(update) });
    expect(one.status).toBe(200);
    expectBody('POST /track', RESPONSE_SCHEMAS.TrackStored, one.json);

    const batch = await client.request({
      method: 'POST',
      path: '/track/batch',
      body: JSON.stringify({ updates: [update, { ...update, tracking_id: 'DOC-2', status: 'pending' }] }),
    });
    expect(batch.status).toBe(200);
    expectBody('POST /track/batch', RESPONSE_SCHEMAS.TrackBatchResult, batch.json);

    await api.mapping.idle();
    const status = await client.request({
      method: 'GET',
      path: '/status',
      query: { tracking_id: 'DOC-1', limit: '1' },
    });
    expect(status.status).toBe(200);
    expect(status.json).toHaveProperty('current');
    expectBody('GET /status', RESPONSE_SCHEMAS.StatusPage, status.json);

    const shipments = await client.request({ method: 'GET', path: '/shipments', query: { status: 'in_transit' } });
    expect(shipments.status).toBe(200);
    expectBody('GET /shipments', RESPONSE_SCHEMAS.ShipmentsPage, shipments.json);

    const unknown = await client.request({ method: 'GET', path: '/status', query: { tracking_id: 'DOC-404' } });
    expect(unknown.status).toBe(404);
    expectBody('GET /status 404', RESPONSE_SCHEMAS.Error, unknown.json);
    const invalid = await client.request({ method: 'POST', path: '/track', body: '{"tracking_id":"x"}' });
    expect(invalid.status).toBe(400);
    expectBody('POST /track 400', RESPONSE_SCHEMAS.Error, invalid.json);

    expect(problems).toEqual([]);
  });
});
