/**
 * GET /shipments against the local AWS: the shipments whose CURRENT status is S, newest `updated_at`
 * first, read from every StatusIndex shard in parallel and merged, page by page with a cursor bound
 * to the query. No stream consumer runs here: the state records are seeded directly.
 */
import { createHandler } from '../../lambda/app';
import { METRICS, TRACKING_TABLE, type TrackingStatus } from '../../lambda/contract';
import { encodeCursor } from '../../lambda/cursor';
import { shardIndex } from '../../lambda/shard';
import { publicState, type StateRecord } from '../../lambda/state';
import type { RecordedCall } from '../../local/aws/faults';
import {
  apiEvent,
  captureOutput,
  invoke,
  metricTotals,
  startTestAws,
  type EventOptions,
  type OutputCapture,
  type TestAws,
  type TestHandler,
} from '../helpers/handler-harness';
import { putStateRecords, retireStateRecords, shardCountOf, stateRecord } from '../helpers/state-records';

let aws: TestAws;
let handler: TestHandler;
let output: OutputCapture;
let shards: number;
/** Every tracking_id seeded by the current test (retired after it). */
const seeded = new Set<string>();

beforeAll(async () => {
  aws = await startTestAws();
  shards = shardCountOf(aws);
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  output = captureOutput();
  aws.setParameters();
  handler = createHandler(aws.env);
});
afterEach(async () => {
  jest.restoreAllMocks();
  aws.reset();
  await retireStateRecords(aws, seeded);
  seeded.clear();
});

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 2, 1, 0, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();

function shipmentsEvent(query: Record<string, string> | null, options: EventOptions = {}) {
  return apiEvent('GET', '/shipments', null, query, options);
}
const list = (query: Record<string, string> | null, options?: EventOptions) =>
  invoke(handler, shipmentsEvent(query, options));

async function seed(records: StateRecord[]): Promise<StateRecord[]> {
  for (const record of records) seeded.add(record.tracking_id);
  await putStateRecords(aws, records);
  return records;
}

/** `count` records of `status`, one per `stepMs`, the newest at `newest`. */
function series(prefix: string, status: TrackingStatus, count: number, newest: number, stepMs = 60_000) {
  return Array.from({ length: count }, (_, i) => stateRecord(aws, `${prefix}-${i}`, status, newest - i * stepMs));
}

/** `count` tracking_ids (prefix-n) that all fall in StatusIndex shard `shard`. */
function idsInShard(prefix: string, shard: number, count: number): string[] {
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++)
    if (shardIndex(`${prefix}-${i}`, shards) === shard) ids.push(`${prefix}-${i}`);
  return ids;
}

const newestFirst = (records: StateRecord[]) =>
  [...records].sort((a, b) => Buffer.compare(Buffer.from(b.updated_key), Buffer.from(a.updated_key)));

interface Page {
  shipments: ReturnType<typeof publicState>[];
  count: number;
  next_cursor?: string;
}

/** Every page of a listing, following next_cursor (at most 100 pages). */
async function allPages(query: Record<string, string>): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | undefined;
  do {
    const answer = await list(cursor ? { ...query, cursor } : query);
    expect(answer.statusCode).toBe(200);
    expect(answer.body.count).toBe(answer.body.shipments.length);
    pages.push(answer.body);
    cursor = answer.body.next_cursor;
  } while (cursor && pages.length < 100);
  return pages;
}

const ids = (pages: Page[]) => pages.flatMap((page) => page.shipments.map((s) => s.tracking_id));
const listingQueries = (calls: RecordedCall[]) =>
  calls.filter((call) => call.input.IndexName === TRACKING_TABLE.statusIndex.name);

describe('listing across shards', () => {
  it('lists 40 shipments over 8 shards in pages of 3: every one exactly once, newest first, pages full', async () => {
    // Ties in updated_at (every fifth pair) are ordered by tracking_id: the order is total.
    const records = Array.from({ length: 40 }, (_, i) =>
      stateRecord(aws, `LIST-${String(i).padStart(2, '0')}`, 'in_transit', T0 - Math.floor(i / 2) * 60_000),
    );
    await seed(records);
    await seed([...series('LIST-OTHER', 'delivered', 5, T0 + HOUR), ...series('LIST-P', 'pending', 3, T0)]);
    expect(new Set(records.map((r) => shardIndex(r.tracking_id, shards))).size).toBe(shards);

    const pages = await allPages({ status: 'in_transit', limit: '3' });

    expect(pages.map((p) => p.count)).toEqual([...Array(13).fill(3), 1]);
    expect(ids(pages)).toEqual(newestFirst(records).map((r) => r.tracking_id));
    expect(new Set(ids(pages)).size).toBe(40);
    expect(pages[pages.length - 1]).not.toHaveProperty('next_cursor');
    for (const page of pages.slice(0, -1)) expect(page.next_cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    // What a client sees is the public view of each state record.
    const byId = new Map(records.map((r) => [r.tracking_id, r]));
    for (const shipment of pages.flatMap((p) => p.shipments)) {
      expect(shipment).toEqual(publicState(byId.get(shipment.tracking_id)!));
    }
  });

  it('answers {status, shipments, count, next_cursor} and pages 20 by default', async () => {
    await seed(series('DEF', 'failed', 25, T0));
    const answer = await list({ status: 'failed' });
    expect(answer.statusCode).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(['count', 'next_cursor', 'shipments', 'status']);
    expect(answer.body).toMatchObject({ status: 'failed', count: 20 });
    const rest = await list({ status: 'failed', limit: '100', cursor: answer.body.next_cursor });
    expect(rest.body.count).toBe(5);
    expect(rest.body).not.toHaveProperty('next_cursor');
    expect(metricTotals(output)[METRICS.shipmentsListed]).toBe(2);
  });

  it('never cuts a page short at a shard boundary: the newest shipments all in one shard', async () => {
    const crowded = idsInShard('CROWD', 5, 7).map((id, i) => stateRecord(aws, id, 'pending', T0 - i * 1000));
    const spread = series('SPREAD', 'pending', 8, T0 - HOUR);
    await seed([...crowded, ...spread]);

    const pages = await allPages({ status: 'pending', limit: '3' });

    expect(pages.map((p) => p.count)).toEqual([3, 3, 3, 3, 3]);
    expect(ids(pages)).toEqual(newestFirst([...crowded, ...spread]).map((r) => r.tracking_id));
  });

  it('has no next_cursor once exhausted; an empty listing is a 200', async () => {
    await seed(series('END', 'delivered', 7, T0));
    const pages = await allPages({ status: 'delivered', limit: '5' });
    expect(pages.map((p) => p.count)).toEqual([5, 2]);
    expect(pages[1]).not.toHaveProperty('next_cursor');

    const empty = await list({ status: 'failed' });
    expect(empty.statusCode).toBe(200);
    expect(empty.body).toEqual({ status: 'failed', shipments: [], count: 0 });
  });

  it('may end on an empty page only when the last full page came from one shard (DynamoDB said "maybe more")', async () => {
    await seed(idsInShard('EXACT', 2, 3).map((id, i) => stateRecord(aws, id, 'in_transit', T0 - i)));
    const first = await list({ status: 'in_transit', limit: '3' });
    expect(first.body.count).toBe(3);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const last = await list({ status: 'in_transit', limit: '3', cursor: first.body.next_cursor });
    expect(last.body).toEqual({ status: 'in_transit', shipments: [], count: 0 });
  });
});

describe('paging while the states change', () => {
  it('shows unchanged shipments exactly once, and nothing newer than the cursor on later pages', async () => {
    const records = await seed(series('LIVE', 'in_transit', 12, T0));
    const first = await list({ status: 'in_transit', limit: '3' });
    expect(ids([first.body])).toEqual(['LIVE-0', 'LIVE-1', 'LIVE-2']);

    // Meanwhile: a new shipment, a listed one and a not yet listed one get newer states; one not yet
    // listed is delivered (leaves in_transit).
    await seed([
      stateRecord(aws, 'LIVE-NEW', 'in_transit', T0 + HOUR),
      stateRecord(aws, 'LIVE-1', 'in_transit', T0 + 2 * HOUR),
      stateRecord(aws, 'LIVE-7', 'in_transit', T0 + 3 * HOUR),
      stateRecord(aws, 'LIVE-9', 'delivered', T0 + HOUR),
    ]);
    const rest: Page[] = [];
    let cursor: string | undefined = first.body.next_cursor;
    while (cursor) {
      const answer = await list({ status: 'in_transit', limit: '3', cursor });
      rest.push(answer.body);
      cursor = answer.body.next_cursor;
    }

    const seen = [...ids([first.body]), ...ids(rest)];
    const unchanged = records.map((r) => r.tracking_id).filter((id) => !['LIVE-1', 'LIVE-7', 'LIVE-9'].includes(id));
    for (const id of unchanged) expect(seen.filter((s) => s === id)).toHaveLength(1);
    expect(ids(rest)).not.toContain('LIVE-NEW');
    expect(ids(rest)).not.toContain('LIVE-1');
    expect(ids(rest)).not.toContain('LIVE-7');
    expect(ids(rest)).not.toContain('LIVE-9');
    expect(rest.slice(0, -1).every((p) => p.count === 3)).toBe(true);
  });
});

describe('updated_before and updated_after', () => {
  // One shipment per hour, T0 - 0h .. T0 - 9h.
  const hourly = () => Array.from({ length: 10 }, (_, h) => stateRecord(aws, `HOUR-${h}`, 'in_transit', T0 - h * HOUR));

  it('bounds updated_at strictly, before, after or both, in any offset', async () => {
    await seed(hourly());
    const listIds = async (query: Record<string, string>) =>
      ids(await allPages({ status: 'in_transit', limit: '100', ...query }));

    // "Not updated for 3 hours": strictly before T0 - 3h (the shipment updated exactly then is not).
    expect(await listIds({ updated_before: iso(T0 - 3 * HOUR) })).toEqual([
      'HOUR-4',
      'HOUR-5',
      'HOUR-6',
      'HOUR-7',
      'HOUR-8',
      'HOUR-9',
    ]);
    expect(await listIds({ updated_after: iso(T0 - 3 * HOUR) })).toEqual(['HOUR-0', 'HOUR-1', 'HOUR-2']);
    // The same instants written with an offset.
    const withOffset = (ms: number) => iso(ms + 2 * HOUR).replace('Z', '+02:00');
    expect(
      await listIds({ updated_after: withOffset(T0 - 6 * HOUR), updated_before: withOffset(T0 - 2 * HOUR) }),
    ).toEqual(['HOUR-3', 'HOUR-4', 'HOUR-5']);
    // One millisecond either side lets the boundary shipment in.
    expect(await listIds({ updated_after: iso(T0 - 3 * HOUR - 1), updated_before: iso(T0 - 3 * HOUR + 1) })).toEqual([
      'HOUR-3',
    ]);
  });

  it('pages inside the bounds with the cursor they issued', async () => {
    await seed(hourly());
    const query = {
      status: 'in_transit',
      limit: '2',
      updated_after: iso(T0 - 8 * HOUR),
      updated_before: iso(T0 - HOUR),
    };
    const pages = await allPages(query);
    expect(pages.map((p) => p.count)).toEqual([2, 2, 2]);
    expect(pages[2]).not.toHaveProperty('next_cursor');
    expect(ids(pages)).toEqual(['HOUR-2', 'HOUR-3', 'HOUR-4', 'HOUR-5', 'HOUR-6', 'HOUR-7']);
    // Only with updated_before: the cursor is the tighter upper end.
    const before = await allPages({ status: 'in_transit', limit: '4', updated_before: iso(T0 - 4 * HOUR) });
    expect(ids(before)).toEqual(['HOUR-5', 'HOUR-6', 'HOUR-7', 'HOUR-8', 'HOUR-9']);
    expect(before.map((p) => p.count)).toEqual([4, 1]);
  });

  it('accepts a cursor with another limit (the cursor is not bound to the page size)', async () => {
    await seed(hourly());
    const first = await list({ status: 'in_transit', limit: '3' });
    const next = await list({ status: 'in_transit', limit: '5', cursor: first.body.next_cursor });
    expect(next.statusCode).toBe(200);
    expect(ids([next.body])).toEqual(['HOUR-3', 'HOUR-4', 'HOUR-5', 'HOUR-6', 'HOUR-7']);
  });
});

describe('the cursor is bound to its query', () => {
  const base = { status: 'in_transit', limit: '2', updated_before: iso(T0 + HOUR) };
  async function issued(): Promise<string> {
    await seed(series('CUR', 'in_transit', 5, T0));
    const answer = await list(base);
    expect(answer.body.next_cursor).toEqual(expect.any(String));
    return answer.body.next_cursor;
  }
  const refused = async (query: Record<string, string>) => {
    const answer = await list(query, { requestId: 'req-cursor' });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid query parameters',
      details: [{ field: 'cursor', message: expect.any(String) }],
      request_id: 'req-cursor',
    });
    return answer.body.details[0].message as string;
  };

  it('refuses an altered, a truncated or a padded cursor', async () => {
    const cursor = await issued();
    const raw = Buffer.from(cursor, 'base64url').toString('utf8');
    const [version, position, check] = raw.split('.');
    const key = Buffer.from(position, 'base64url').toString('utf8');
    // One millisecond earlier: a key the client could want, but not the one this cursor was issued with.
    const earlierKey = `${String(Number(key.slice(0, 15)) - 1).padStart(15, '0')}${key.slice(15)}`;
    const earlier = Buffer.from(earlierKey).toString('base64url');
    const altered = Buffer.from(`${version}.${earlier}.${check}`).toString('base64url');
    expect(await refused({ ...base, cursor: altered })).toBe(
      'was not issued for this query (status, updated_before, updated_after) or has been altered',
    );
    expect(await refused({ ...base, cursor: cursor.slice(0, -4) })).toBeTruthy();
    expect(await refused({ ...base, cursor: `${cursor}=` })).toBe('is not a valid cursor');
    expect(
      await refused({ ...base, cursor: `${cursor.slice(0, 10)}${cursor[10] === 'A' ? 'B' : 'A'}${cursor.slice(11)}` }),
    ).toBeTruthy();
  });

  it("refuses another status's, another bound's, and GET /status's cursor", async () => {
    const cursor = await issued();
    expect(await refused({ ...base, status: 'pending', cursor })).toMatch(/^was not issued for this query/);
    expect(await refused({ ...base, updated_before: iso(T0 + 2 * HOUR), cursor })).toMatch(/^was not issued/);
    expect(await refused({ ...base, updated_after: iso(T0 - HOUR), cursor })).toMatch(/^was not issued/);
    const { updated_before: _dropped, ...unbounded } = base;
    expect(await refused({ ...unbounded, cursor })).toMatch(/^was not issued/);
    expect(await refused({ ...base, cursor: encodeCursor('CUR-1', T0) })).toMatch(/^was not issued|^is not a valid/);
    expect(await refused({ ...base, cursor: 'A'.repeat(2000) })).toBe('is not a valid cursor');
    // The same bound, spelled with an offset, is the same query.
    const sameInstant = iso(T0 + 3 * HOUR).replace('Z', '+02:00');
    expect((await list({ ...base, updated_before: sameInstant, cursor })).statusCode).toBe(200);
  });
});

describe('bad parameters: 400 with the field', () => {
  it.each([
    ['status missing', { limit: '3' }, 'status', 'is required'],
    ['status unknown', { status: 'lost' }, 'status', 'must be one of: pending, in_transit, delivered, failed'],
    [
      'status in the wrong case',
      { status: 'IN_TRANSIT' },
      'status',
      'must be one of: pending, in_transit, delivered, failed',
    ],
    ['limit 0', { status: 'pending', limit: '0' }, 'limit', 'must be an integer from 1 to 100'],
    ['limit 101', { status: 'pending', limit: '101' }, 'limit', 'must be an integer from 1 to 100'],
    ['limit abc', { status: 'pending', limit: 'abc' }, 'limit', 'must be an integer from 1 to 100'],
    [
      'updated_before without an offset',
      { status: 'pending', updated_before: '2025-03-01T00:00:00' },
      'updated_before',
      'must be an RFC 3339 date-time with an offset, e.g. 2026-12-01T09:30:00Z',
    ],
    [
      'updated_after not a real date',
      { status: 'pending', updated_after: '2025-02-30T00:00:00Z' },
      'updated_after',
      'is not a real date and time',
    ],
    [
      'updated_after not before updated_before',
      { status: 'pending', updated_after: '2025-03-01T00:00:00Z', updated_before: '2025-03-01T01:00:00+01:00' },
      'updated_after',
      'must be earlier than updated_before',
    ],
  ])('%s', async (_name, query, field, message) => {
    const answer = await list(query as Record<string, string>, { requestId: 'req-bad' });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toEqual({
      error: 'invalid query parameters',
      details: [{ field, message }],
      request_id: 'req-bad',
    });
    expect(listingQueries(aws.local.calls.of('dynamodb', 'Query'))).toEqual([]);
  });

  it('refuses a parameter given twice, like GET /status', async () => {
    const answer = await list(null, { multiValueQuery: { status: ['pending', 'failed'], limit: ['1', '2'] } });
    expect(answer.statusCode).toBe(400);
    expect(answer.body.details).toEqual([
      { field: 'status', message: 'must be given once' },
      { field: 'limit', message: 'must be given once' },
    ]);
    expect(metricTotals(output)[METRICS.validationFailure]).toBe(1);
  });
});

describe('DynamoDB refuses', () => {
  it('answers 503 with Retry-After when a shard query is refused after retries, and counts it', async () => {
    await seed(series('DOWN', 'pending', 3, T0));
    aws.fault('dynamodb:Query=ProvisionedThroughputExceededException');
    const answer = await list({ status: 'pending' }, { requestId: 'req-503' });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['Retry-After']).toBe('1');
    expect(answer.body).toEqual({
      error: 'the shipment listing is temporarily unavailable; retry later',
      request_id: 'req-503',
    });
    expect(metricTotals(output)[METRICS.shipmentsUnavailable]).toBe(1);
    expect(metricTotals(output)[METRICS.shipmentsListed]).toBeUndefined();
    // Once one shard is refused, the other shards' queries stop retrying against the throttled table.
    const queriesAtAnswer = aws.local.calls.of('dynamodb', 'Query').length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(aws.local.calls.of('dynamodb', 'Query')).toHaveLength(queriesAtAnswer);
  });

  it('answers 503 when only one shard is refused', async () => {
    aws.local.faults.add({
      service: 'dynamodb',
      operation: 'Query',
      error: 'ProvisionedThroughputExceededException',
      match: (input: Record<string, unknown>) =>
        (input.ExpressionAttributeValues as Record<string, { S?: string }> | undefined)?.[':shard']?.S === 'pending#3',
    });
    expect((await list({ status: 'pending' })).statusCode).toBe(503);
  });
});

describe('the shard queries', () => {
  it('sends one Query per shard, newest first, `limit` long, the cursor and bounds as key conditions', async () => {
    await seed(series('Q', 'delivered', 10, T0));
    const first = await list({ status: 'delivered', limit: '4' });
    aws.local.calls.clear();
    await list({ status: 'delivered', limit: '4', cursor: first.body.next_cursor });

    const queries = listingQueries(aws.local.calls.of('dynamodb', 'Query'));
    expect(queries).toHaveLength(shards);
    const shardValues = queries.map(
      (q) => (q.input.ExpressionAttributeValues as Record<string, { S: string }>)[':shard'].S,
    );
    expect(shardValues.sort()).toEqual(Array.from({ length: shards }, (_, n) => `delivered#${n}`).sort());
    const lastKey = first.body.shipments[3].tracking_id;
    for (const query of queries) {
      expect(query.input).toMatchObject({
        IndexName: TRACKING_TABLE.statusIndex.name,
        ScanIndexForward: false,
        Limit: 4,
        KeyConditionExpression: '#shard = :shard AND #key < :upper',
      });
      expect((query.input.ExpressionAttributeValues as Record<string, { S: string }>)[':upper'].S).toMatch(
        new RegExp(`#${lastKey}$`),
      );
      expect(query.input).not.toHaveProperty('ExclusiveStartKey');
    }
  });

  it("with updated_after and a cursor: BETWEEN the bounds, the cursor's own shard asking one more to skip its key", async () => {
    await seed(series('QB', 'delivered', 10, T0));
    const query = { status: 'delivered', limit: '4', updated_after: iso(T0 - HOUR) };
    const first = await list(query);
    aws.local.calls.clear();
    const second = await list({ ...query, cursor: first.body.next_cursor });

    expect(ids([second.body])).toEqual(['QB-4', 'QB-5', 'QB-6', 'QB-7']);
    const queries = listingQueries(aws.local.calls.of('dynamodb', 'Query'));
    expect(queries.map((q) => q.input.KeyConditionExpression)).toEqual(
      Array(shards).fill('#shard = :shard AND #key BETWEEN :lower AND :upper'),
    );
    const cursorShard = `delivered#${shardIndex('QB-3', shards)}`;
    const limits = Object.fromEntries(
      queries.map((q) => [
        (q.input.ExpressionAttributeValues as Record<string, { S: string }>)[':shard'].S,
        q.input.Limit,
      ]),
    );
    expect(limits).toEqual(
      Object.fromEntries(
        Array.from({ length: shards }, (_, n) => [`delivered#${n}`, `delivered#${n}` === cursorShard ? 5 : 4]),
      ),
    );
  });

  it('queries the shards in parallel: all received before the first answered', async () => {
    await seed(series('PAR', 'in_transit', 16, T0));
    const received: number[] = [];
    const record = aws.local.calls.record.bind(aws.local.calls);
    jest.spyOn(aws.local.calls, 'record').mockImplementation((call) => {
      if (call.operation === 'Query') received.push(Date.now());
      record(call);
    });
    const latencyMs = 200;
    aws.fault(`dynamodb:Query=+${latencyMs}ms`);

    const started = Date.now();
    const answer = await list({ status: 'in_transit', limit: '5' });
    const elapsed = Date.now() - started;

    expect(answer.statusCode).toBe(200);
    expect(answer.body.count).toBe(5);
    expect(listingQueries(aws.local.calls.of('dynamodb', 'Query'))).toHaveLength(shards);
    expect(received).toHaveLength(shards);
    // Every answer takes at least latencyMs after its query was received: all were received before any answered.
    expect(Math.max(...received) - Math.min(...received)).toBeLessThan(latencyMs);
    expect(elapsed).toBeLessThan(2 * latencyMs);
  });
});
