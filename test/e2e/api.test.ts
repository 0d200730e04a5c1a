/**
 * End to end, through the API as a client sees it: the local API by default, a deployed stage with
 * TAP_API_ENDPOINT or cfn-outputs/flat-outputs.json (see target.ts). Written against the contract
 * (DESIGN.md "The API contract"), not against the implementation.
 */
import { IDEMPOTENCY, LIMITS, ROUTES } from '../../lambda/contract';
import { INVALID_BODY_ERROR } from '../../lib/gateway-responses';
import type { ApiResponse } from './client';
import { localOnly, openTarget, uniqueId, type Target } from './target';

const update = (trackingId: string, status = 'in_transit', lat = 47.61) =>
  JSON.stringify({ tracking_id: trackingId, status, location: { lat, lng: -122.33 } });

/** The one error shape: `{error, details?: [{field, message}], request_id}` and nothing else. */
function expectErrorShape(response: ApiResponse, status: number) {
  expect({ status: response.status, body: response.text }).toEqual({ status, body: expect.any(String) });
  const { error, details, request_id, ...rest } = response.json as Record<string, unknown>;
  expect([typeof error, typeof request_id, rest]).toEqual(['string', 'string', {}]);
  expect(request_id).not.toBe('');
  if (details !== undefined) {
    expect(details).toEqual(expect.arrayContaining([{ field: expect.any(String), message: expect.any(String) }]));
    for (const detail of details as Record<string, unknown>[])
      expect(Object.keys(detail).sort()).toEqual(['field', 'message']);
  }
}

describe('tracking API end to end', () => {
  let target: Target;

  beforeAll(async () => {
    target = await openTarget();
  });
  afterAll(() => target?.close());

  const post = (body: string, headers?: Record<string, string>) =>
    target.client.request({ method: 'POST', path: '/track', body, headers });
  const status = (query: Record<string, string>) => target.client.request({ method: 'GET', path: '/status', query });

  it('stores an update (POST /track) and reads it back (GET /status)', async () => {
    const id = uniqueId('E2E-RT');
    const stored = await post(update(id, 'pending'));
    expect(stored.status).toBe(200);
    expect(stored.json).toEqual(
      expect.objectContaining({ message: expect.any(String), tracking_id: id, timestamp: expect.any(Number) }),
    );
    expect(stored.headers['x-amzn-requestid']).toEqual(expect.any(String));

    const read = await status({ tracking_id: id });
    expect(read.status).toBe(200);
    expect(read.json).toEqual(expect.objectContaining({ tracking_id: id, count: 1 }));
    expect(read.json.next_key).toBeUndefined();
    const [first] = read.json.updates as Record<string, unknown>[];
    expect(first).toEqual(
      expect.objectContaining({
        timestamp: stored.json.timestamp,
        status: 'pending',
        location: { lat: 47.61, lng: -122.33 },
      }),
    );
  });

  it('stores a batch (POST /track/batch) and lists each outcome', async () => {
    const id = uniqueId('E2E-BATCH');
    const r = await target.client.request({
      method: 'POST',
      path: ROUTES.trackBatch.path,
      body: JSON.stringify({ updates: [JSON.parse(update(id, 'pending')), JSON.parse(update(id, 'in_transit'))] }),
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual(expect.objectContaining({ count: 2, stored: 2, queued: 0 }));
    expect((await status({ tracking_id: id })).json.count).toBe(2);
  });

  it('answers a retried POST with the same Idempotency-Key with the first answer, and stores it once', async () => {
    const id = uniqueId('E2E-IDEM');
    const headers = { [IDEMPOTENCY.header]: `${id}-attempt` };
    const first = await post(update(id), headers);
    const retry = await post(update(id), headers);
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(retry.json.timestamp).toBe(first.json.timestamp);
    expect(retry.headers[IDEMPOTENCY.replayedHeader.toLowerCase()]).toBe('true');
    expect((await status({ tracking_id: id })).json.count).toBe(1);
    const conflict = await post(update(id, 'delivered'), headers);
    expectErrorShape(conflict, 422);
  });

  it('records the signing caller (enhanced tracking) from the SigV4 identity', async () => {
    const id = uniqueId('E2E-ID');
    expect((await post(update(id))).status).toBe(200);
    const [item] = (await status({ tracking_id: id })).json.updates as Record<string, unknown>[];
    if (target.local) expect(item.caller_arn).toBe(target.local.identity.userArn);
    else expect(item.caller_arn).toMatch(/^arn:aws:(iam|sts)::\d{12}:/);
  });

  it('pages through 25 updates newest first, 10 + 10 + 5, no gaps or repeats', async () => {
    const id = uniqueId('E2E-PAGE');
    const stamps: number[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await post(update(id, 'in_transit', i));
      expect(r.status).toBe(200);
      stamps.push(r.json.timestamp as number);
    }
    const seen: number[] = [];
    const sizes: number[] = [];
    let lastKey: string | undefined;
    do {
      const page = await status({ tracking_id: id, limit: '10', ...(lastKey ? { last_key: lastKey } : {}) });
      expect(page.status).toBe(200);
      sizes.push(page.json.count as number);
      seen.push(...(page.json.updates as { timestamp: number }[]).map((u) => u.timestamp));
      lastKey = page.json.next_key as string | undefined;
      if (lastKey) expect(lastKey).toMatch(/^[A-Za-z0-9_-]+$/);
    } while (lastKey && sizes.length < 5);
    expect(sizes).toEqual([10, 10, 5]);
    expect(seen).toEqual([...stamps].sort((a, b) => b - a));
  });

  it('answers 404 for a shipment with no updates', async () => {
    const r = await status({ tracking_id: uniqueId('E2E-NONE') });
    expectErrorShape(r, 404);
  });

  describe('validation at the gateway (request validator)', () => {
    it('refuses GET /status without tracking_id', async () => {
      const r = await status({});
      expectErrorShape(r, 400);
      expect(r.json.error).toBe('Missing required request parameters: [tracking_id]');
      expect(r.json.details).toEqual([
        { field: 'query', message: 'Missing required request parameters: [tracking_id]' },
      ]);
    });

    it('refuses a body that does not match the model', async () => {
      const r = await post(
        JSON.stringify({ tracking_id: uniqueId('E2E-BAD'), status: 'lost', location: { lat: 1, lng: 1 } }),
      );
      expectErrorShape(r, 400);
      expect(r.json.error).toBe(INVALID_BODY_ERROR);
      expect(r.json.details).toEqual([{ field: 'body', message: expect.stringMatching(/^\[.*\]$/) }]);
    });

    it('refuses unknown fields, out-of-range coordinates and non-JSON bodies', async () => {
      for (const body of [
        JSON.stringify({ tracking_id: 'X', status: 'pending', location: { lat: 1, lng: 1 }, extra: true }),
        JSON.stringify({ tracking_id: 'X', status: 'pending', location: { lat: 91, lng: 1 } }),
        '{not json',
      ]) {
        const r = await post(body);
        expectErrorShape(r, 400);
        expect(r.json.error).toBe(INVALID_BODY_ERROR);
      }
    });

    // Against a deployed stage this checks the local validator's wording against API Gateway's own.
    it("reports each failing keyword in API Gateway's wording (members in name order), not a combinator's", async () => {
      const r = await post(JSON.stringify({ tracking_id: 'PKG-1', status: 'lost', location: { lat: 97, lng: 1 } }));
      expectErrorShape(r, 400);
      expect(r.json.details).toEqual([
        {
          field: 'body',
          message:
            '[numeric instance is greater than the required maximum (maximum: 90, found: 97), ' +
            'instance value ("lost") not found in enum (possible values: ["pending","in_transit","delivered","failed"])]',
        },
      ]);
    });

    it('refuses a batch on POST /track (its own route is POST /track/batch), naming `updates` as not allowed', async () => {
      const r = await post(JSON.stringify({ updates: [JSON.parse(update('X'))] }));
      expectErrorShape(r, 400);
      expect(r.json.error).toBe(INVALID_BODY_ERROR);
      expect(r.json.details).toEqual([
        {
          field: 'body',
          message: expect.stringContaining(
            'object instance has properties which are not allowed by the schema: ["updates"]',
          ),
        },
      ]);
    });

    it('answers an unknown path or method with 403 Missing Authentication Token', async () => {
      for (const [method, path] of [
        ['GET', '/nowhere'],
        ['DELETE', '/track'],
        ['POST', '/status'],
      ] as const) {
        const r = await target.client.request({ method, path });
        expectErrorShape(r, 403);
        expect(r.json.error).toBe('Missing Authentication Token');
      }
    });

    localOnly('uploading 10 MB to a deployed stage is slow and billed')(
      'refuses a payload over 10 MB with 413',
      async () => {
        const big = 'x'.repeat(LIMITS.gatewayPayloadMaxBytes + 1);
        const r = await target.client.request({ method: 'POST', path: '/track', body: big });
        expectErrorShape(r, 413);
        expect(r.json.error).toBe('Request Too Long');
      },
    );
  });

  describe('validation in the function (passes the gateway)', () => {
    it('refuses a limit outside 1..100 and names the parameter', async () => {
      for (const limit of ['0', '101', 'abc']) {
        const r = await status({ tracking_id: 'X', limit });
        expectErrorShape(r, 400);
        expect(JSON.stringify(r.json.details)).toContain('limit');
      }
    });

    it('refuses a malformed cursor with 400, not 500', async () => {
      const r = await status({ tracking_id: 'X', last_key: 'not-a-cursor' });
      expectErrorShape(r, 400);
      expect(JSON.stringify(r.json.details)).toContain('last_key');
    });

    it('refuses a cursor of another shipment', async () => {
      const a = uniqueId('E2E-CUR-A');
      for (let i = 0; i < 3; i++) expect((await post(update(a, 'pending', i))).status).toBe(200);
      const page = await status({ tracking_id: a, limit: '1' });
      expect(page.json.next_key).toEqual(expect.any(String));
      const foreign = await status({ tracking_id: uniqueId('E2E-CUR-B'), last_key: page.json.next_key as string });
      expectErrorShape(foreign, 400);
    });

    it('answers 415 for a body that is not JSON by media type (the gateway has no model for it)', async () => {
      const r = await post(update(uniqueId('E2E-415')), { 'content-type': 'text/plain' });
      expectErrorShape(r, 415);
    });

    it('answers 413 for a valid body larger than the configured max_request_size', async () => {
      const body = JSON.stringify({
        tracking_id: uniqueId('E2E-413'),
        status: 'pending',
        location: { lat: 0, lng: 0 },
        metadata: { note: 'n'.repeat(12 * 1024) },
      });
      const r = await post(body);
      expectErrorShape(r, 413);
    });

    it('refuses metadata over its byte limit', async () => {
      const body = JSON.stringify({
        tracking_id: uniqueId('E2E-META'),
        status: 'pending',
        location: { lat: 0, lng: 0 },
        metadata: { note: 'm'.repeat(LIMITS.metadataMaxBytes + 10) },
      });
      const r = await post(body);
      expectErrorShape(r, 400);
    });
  });

  it('stores all of 200 concurrent updates for one shipment', async () => {
    const id = uniqueId('E2E-CONC');
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => post(update(id, 'in_transit', i / 10))));
    expect(answers.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);
    const timestamps = new Set<number>();
    let lastKey: string | undefined;
    let pages = 0;
    do {
      const page = await status({ tracking_id: id, limit: '100', ...(lastKey ? { last_key: lastKey } : {}) });
      expect(page.status).toBe(200);
      for (const u of page.json.updates as { timestamp: number }[]) timestamps.add(u.timestamp);
      lastKey = page.json.next_key as string | undefined;
    } while (lastKey && ++pages < 5);
    expect(timestamps.size).toBe(200);
    expect([...timestamps].sort()).toEqual(answers.map((a) => a.json.timestamp as number).sort());
  });
});
