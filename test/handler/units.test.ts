/**
 * The small pieces on their own: cursors, shard, instants, the listing's key range and merge,
 * settings parsing, parking, replay configuration.
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'crypto';
import Ajv from 'ajv-draft-04';
import {
  FUNCTION_ENV,
  DEFAULT_API_CONFIG,
  DEFAULT_FEATURE_FLAGS,
  TRACKING_BATCH_SCHEMA,
  MODELS,
  TRACKING_UPDATE_SCHEMA,
} from '../../lambda/contract';
import { CursorError, decodeCursor, decodeListingCursor, encodeCursor, encodeListingCursor } from '../../lambda/cursor';
import { readRuntimeEnv } from '../../lambda/env';
import { keyRange, mergeNewestFirst } from '../../lambda/listing';
import { ParkingError, ParkingQueue, decodeParked, encodeParked } from '../../lambda/park';
import { RuntimeSettings, parseApiConfig, parseFeatureFlags, type FallbackEvent } from '../../lambda/settings';
import { shardIndex, statusShard } from '../../lambda/shard';
import { updatedKey, updatedKeyFloor, type StateRecord } from '../../lambda/state';
import type { TrackingItem } from '../../lambda/store';
import { fieldPath, parseInstant, validateBatch, validateUpdate } from '../../lambda/validation';
import { CallLog, FaultInjector } from '../../local/aws/faults';
import { startSqs } from '../../local/aws/sqs';
import { formatSummary, main, parseReplayArgs } from '../../scripts/replay';

afterEach(() => {
  jest.restoreAllMocks();
});

describe('cursor', () => {
  it('round-trips a timestamp for the shipment it was issued for, URL-safe', () => {
    const cursor = encodeCursor('SHIP-1', 1717000000123);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'SHIP-1')).toBe(1717000000123);
  });

  it('is opaque: the tracking_id is not readable from it', () => {
    expect(Buffer.from(encodeCursor('SECRET-SHIPMENT', 1), 'base64url').toString()).not.toContain('SECRET-SHIPMENT');
  });

  it.each([
    ['another shipment', () => decodeCursor(encodeCursor('SHIP-1', 5), 'SHIP-2')],
    ['a cut cursor', () => decodeCursor(encodeCursor('SHIP-1', 5).slice(0, -3), 'SHIP-1')],
    ['a non-canonical encoding', () => decodeCursor(`${encodeCursor('SHIP-1', 5)}=`, 'SHIP-1')],
    [
      'an unsafe timestamp',
      () => decodeCursor(Buffer.from('v1.99999999999999999.AAAA').toString('base64url'), 'SHIP-1'),
    ],
    ['three dots', () => decodeCursor(Buffer.from('v1.1.2.3').toString('base64url'), 'SHIP-1')],
  ])('refuses %s with a CursorError', (_name, decode) => {
    expect(decode).toThrow(CursorError);
  });

  it('still accepts a cursor in the exact bytes the previous release issued', () => {
    // v1.<timestamp>.<first 96 bits of sha256("v1\n<tracking_id>\n<timestamp>")>, base64url twice.
    const check = createHash('sha256')
      .update('v1\nSHIP-1\n1717000000123')
      .digest()
      .subarray(0, 12)
      .toString('base64url');
    const issued = Buffer.from(`v1.1717000000123.${check}`).toString('base64url');
    expect(encodeCursor('SHIP-1', 1717000000123)).toBe(issued);
  });
});

describe('listing cursor', () => {
  const scope = { status: 'in_transit' as const, before: 1_800_000_000_000, after: 1_700_000_000_000 };
  const key = updatedKey(1_750_000_000_000, 'PKG.7/ü#x');

  it('round-trips an updated_key (dots, slashes, # and non-ASCII in the tracking_id), URL-safe', () => {
    const cursor = encodeListingCursor(scope, key);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeListingCursor(cursor, scope)).toBe(key);
    expect(decodeListingCursor(encodeListingCursor({ status: 'pending' }, key), { status: 'pending' })).toBe(key);
  });

  it('stays under its length bound for the longest tracking_id', () => {
    const longest = updatedKey(253_402_300_799_999, '😀'.repeat(100));
    const cursor = encodeListingCursor(scope, longest);
    expect(cursor.length).toBeLessThanOrEqual(1024);
    expect(decodeListingCursor(cursor, scope)).toBe(longest);
  });

  it.each([
    ['another status', () => decodeListingCursor(encodeListingCursor(scope, key), { ...scope, status: 'pending' })],
    ['another updated_before', () => decodeListingCursor(encodeListingCursor(scope, key), { ...scope, before: 1 })],
    [
      'no updated_after where it had one',
      () => decodeListingCursor(encodeListingCursor(scope, key), { ...scope, after: undefined }),
    ],
    ['a cut cursor', () => decodeListingCursor(encodeListingCursor(scope, key).slice(0, -2), scope)],
    ["GET /status's cursor", () => decodeListingCursor(encodeCursor('PKG-1', 5), { status: 'pending' })],
    [
      'a cursor whose position is not an updated_key',
      () => decodeListingCursor(encodeListingCursor(scope, 'not a key'), scope),
    ],
    [
      'a cursor whose tracking_id has a control character',
      () => decodeListingCursor(encodeListingCursor(scope, updatedKey(5, 'A\u0001B')), scope),
    ],
    ['a far too long cursor', () => decodeListingCursor('A'.repeat(2000), scope)],
  ])('refuses %s with a CursorError', (_name, decode) => {
    expect(decode).toThrow(CursorError);
  });

  it("refuses a listing cursor as GET /status's", () => {
    expect(() => decodeCursor(encodeListingCursor({ status: 'pending' }, updatedKey(5, 'PKG-1')), 'PKG-1')).toThrow(
      CursorError,
    );
  });
});

describe('RFC 3339 instants', () => {
  it.each([
    ['2026-12-01T09:30:00Z', Date.UTC(2026, 11, 1, 9, 30)],
    ['2026-12-01T09:30:00+01:00', Date.UTC(2026, 11, 1, 8, 30)],
    ['2026-12-01T09:30:00-05:30', Date.UTC(2026, 11, 1, 15, 0)],
    ['2026-12-01T09:30:00.5Z', Date.UTC(2026, 11, 1, 9, 30, 0, 500)],
    ['2026-12-01T09:30:00.123+00:00', Date.UTC(2026, 11, 1, 9, 30, 0, 123)],
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
    ['0050-01-01T00:00:00Z', -60589296000000],
  ])('reads %s', (text, ms) => {
    expect(parseInstant(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ['month 13', '2026-13-01T00:00:00Z'],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['February 29 of a common year', '2025-02-29T00:00:00Z'],
    ['day 0', '2026-01-00T00:00:00Z'],
    ['hour 24', '2026-01-01T24:00:00Z'],
    ['minute 60', '2026-01-01T00:60:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['an offset of 24 hours', '2026-01-01T00:00:00+24:00'],
    ['an offset of 60 minutes', '2026-01-01T00:00:00+01:60'],
  ])('refuses %s as not a real instant', (_name, text) => {
    expect(parseInstant(text)).toEqual({ ok: false, message: expect.stringMatching(/^is not a real date and time/) });
  });

  it.each([
    ['no offset', '2026-01-01T00:00:00'],
    ['a date only', '2026-01-01'],
    ['a space for T', '2026-01-01 00:00:00Z'],
    ['epoch milliseconds', '1767225600000'],
    ['four fraction digits', '2026-01-01T00:00:00.1234Z'],
  ])('refuses %s as not the shape', (_name, text) => {
    expect(parseInstant(text)).toEqual({ ok: false, message: expect.stringMatching(/^must be an RFC 3339 date-time/) });
  });
});

describe('the listing: key range and merge', () => {
  it('makes the bounds and the cursor key conditions on updated_key', () => {
    const cursor = updatedKey(150, 'PKG-1');
    expect(keyRange({})).toEqual({});
    expect(keyRange({ before: 200 })).toEqual({ upper: updatedKeyFloor(200) });
    expect(keyRange({ after: 100 })).toEqual({ lower: updatedKeyFloor(101) });
    expect(keyRange({ before: 200, after: 100 })).toEqual({ lower: updatedKeyFloor(101), upper: updatedKeyFloor(200) });
    // The cursor is tighter than the bound it was issued under: it is the upper end.
    expect(keyRange({ before: 200, afterKey: cursor })).toEqual({ upper: cursor });
    // With a lower bound too, the range is inclusive (BETWEEN) and the cursor's own key is skipped.
    expect(keyRange({ after: 100, afterKey: cursor })).toEqual({
      lower: updatedKeyFloor(101),
      upper: cursor,
      skip: cursor,
    });
    expect(keyRange({ after: 200, afterKey: cursor })).toBeUndefined();
    expect(keyRange({ before: 0 })).toBeUndefined();
    expect(keyRange({ after: -5 })).toEqual({});
  });

  it('selects strictly before and strictly after, by the floors', () => {
    expect(updatedKey(199, 'Z') < updatedKeyFloor(200)).toBe(true);
    expect(updatedKey(200, ' ') > updatedKeyFloor(200)).toBe(true);
    expect(updatedKey(100, '\u{10FFFF}') < updatedKeyFloor(101)).toBe(true);
  });

  const record = (at: number, id: string) => ({ tracking_id: id, updated_key: updatedKey(at, id) }) as StateRecord;

  it('merges newest first across shards and stops at take', () => {
    const lists = [
      [record(9, 'A'), record(5, 'A2'), record(1, 'A3')],
      [],
      [record(8, 'B'), record(5, 'B2')],
      [record(9, 'C')],
    ];
    expect(mergeNewestFirst(lists, 10).map((r) => r.tracking_id)).toEqual(['C', 'A', 'B', 'B2', 'A2', 'A3']);
    expect(mergeNewestFirst(lists, 3).map((r) => r.tracking_id)).toEqual(['C', 'A', 'B']);
    expect(mergeNewestFirst([[], []], 3)).toEqual([]);
  });

  it('orders tracking_ids as DynamoDB does (UTF-8 bytes, not UTF-16 code units)', () => {
    // U+FF5E sorts before U+1F600 in UTF-8, after it in UTF-16.
    const lists = [[record(5, '\uFF5E')], [record(5, '😀')]];
    expect(mergeNewestFirst(lists, 2).map((r) => r.tracking_id)).toEqual(['😀', '\uFF5E']);
  });
});

describe('status shard', () => {
  it('is `<status>#<n>`, stable for a tracking_id (FNV-1a of its UTF-8 bytes)', () => {
    // Known values: readers of the StatusIndex rely on the function never changing.
    expect(shardIndex('', 8)).toBe(0x811c9dc5 % 8);
    expect(shardIndex('a', 1 << 30)).toBe(0xe40c292c % (1 << 30));
    expect(statusShard('delivered', 'SHIP-1', 8)).toBe(`delivered#${shardIndex('SHIP-1', 8)}`);
    expect(statusShard('pending', 'SHIP-1', 8).split('#')[1]).toBe(statusShard('failed', 'SHIP-1', 8).split('#')[1]);
  });

  it('spreads shipments over every shard', () => {
    const used = new Set(Array.from({ length: 400 }, (_, i) => shardIndex(`PKG-${i}`, 8)));
    expect([...used].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('the contract schemas', () => {
  // The function ships them compiled at build time (scripts/generate-validators.ts); this checks the
  // contract's schemas themselves against the draft-04 meta-schema.
  it.each([
    ['TRACKING_UPDATE_SCHEMA', TRACKING_UPDATE_SCHEMA],
    ['TRACKING_BATCH_SCHEMA', TRACKING_BATCH_SCHEMA],
    ['MODELS.TrackingUpdate', MODELS.TrackingUpdate],
    ['MODELS.TrackingBatch', MODELS.TrackingBatch],
  ])('%s is a valid draft-04 schema', (_name, schema) => {
    const ajv = new Ajv({ strict: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
  });

  it("accepts what each route's API Gateway model accepts, and refuses what it refuses", () => {
    const ajv = new Ajv({ allErrors: true });
    const updateModel = ajv.compile(MODELS.TrackingUpdate);
    const batchModel = ajv.compile(MODELS.TrackingBatch);
    const single = { tracking_id: 'A', status: 'pending', location: { lat: 1, lng: 2 }, metadata: { a: 1 } };
    const samples = [
      single,
      { updates: [single] },
      { ...single, extra: 1 },
      { updates: [] },
      { tracking_id: 'A' },
      { updates: [single], x: 1 },
    ];
    for (const sample of samples) {
      const text = JSON.stringify(sample);
      expect([text, 'update', validateUpdate(sample).ok]).toEqual([text, 'update', updateModel(sample)]);
      expect([text, 'batch', validateBatch(sample).ok]).toEqual([text, 'batch', batchModel(sample)]);
    }
  });
});

describe('field paths in details', () => {
  it('turns JSON pointers into readable paths', () => {
    expect(fieldPath('')).toBe('body');
    expect(fieldPath('', 'tracking_id')).toBe('tracking_id');
    expect(fieldPath('/updates/2/location', 'lat')).toBe('updates[2].location.lat');
    expect(fieldPath('/metadata/a~1b')).toBe('metadata.a/b');
  });
});

describe('function environment', () => {
  it('reads the contract variables, deriving parameter names from ENVIRONMENT when unset', () => {
    const env = readRuntimeEnv({
      [FUNCTION_ENV.tableName]: 'tracking-prod',
      [FUNCTION_ENV.environment]: 'prod',
      [FUNCTION_ENV.statusShardCount]: '16',
      [FUNCTION_ENV.queueUrl]: 'https://q',
    });
    expect(env).toMatchObject({
      tableName: 'tracking-prod',
      environment: 'prod',
      configParameter: '/logistics/api/prod/config',
      flagsParameter: '/logistics/features/prod/flags',
      queueUrl: 'https://q',
      statusShardCount: 16,
      problems: [],
    });
  });

  it('reports unusable values and takes the defaults', () => {
    const env = readRuntimeEnv({ [FUNCTION_ENV.statusShardCount]: 'many' });
    expect(env.statusShardCount).toBe(8);
    expect(env.problems).toEqual([
      `${FUNCTION_ENV.statusShardCount}="many" is not an integer 1..1000`,
      `${FUNCTION_ENV.tableName} is not set`,
    ]);
  });
});

describe('settings', () => {
  it('fills missing fields with the documented defaults and refuses wrong types', () => {
    expect(parseApiConfig({ max_request_size: 2048 })).toEqual({ ...DEFAULT_API_CONFIG, max_request_size: 2048 });
    expect(parseFeatureFlags({})).toEqual(DEFAULT_FEATURE_FLAGS);
    expect(() => parseApiConfig({ max_request_size: '2048' })).toThrow(/max_request_size/);
    expect(() => parseApiConfig({ timeout: -1 })).toThrow(/timeout/);
    expect(() => parseFeatureFlags({ batch_processing: 1 })).toThrow(/batch_processing/);
    expect(() => parseFeatureFlags(['enhanced_tracking'])).toThrow();
  });

  it('checks a cached parameter value once, not on every request', async () => {
    const cached = { enhanced_tracking: false };
    const read = jest.fn(async (name: string) => (name === 'flags' ? cached : {}));
    const settings = new RuntimeSettings({
      configParameter: 'config',
      flagsParameter: 'flags',
      read,
      onFallback: () => undefined,
    });
    const first = await settings.current();
    const second = await settings.current();
    expect(second.flags).toBe(first.flags);
    expect(first.flags.enhanced_tracking).toBe(false);
  });

  it('uses the defaults without asking SSM when no parameter name is configured', async () => {
    const read = jest.fn();
    const fallbacks: FallbackEvent[] = [];
    const settings = new RuntimeSettings({ read, onFallback: (e) => fallbacks.push(e) });
    expect(await settings.current()).toEqual({ config: DEFAULT_API_CONFIG, flags: DEFAULT_FEATURE_FLAGS });
    expect(read).not.toHaveBeenCalled();
    expect(fallbacks).toEqual([]);
  });
});

const ITEM: TrackingItem = {
  tracking_id: 'SHIP-9',
  timestamp: 1717000000000,
  status: 'in_transit',
  location: { lat: 1, lng: 2 },
  event_time: '2024-05-29T16:20:00.000Z',
  environment: 'test',
  created_at: '2024-05-29T16:26:40.000Z',
  update_id: '8c0f8a3e-3b1c-4c8e-9d7e-2f5a6b7c8d9e',
};

/** A parked message in the previous version's item shape (any fields: it is written as JSON). */
const legacyMessage = (item: Record<string, unknown>) =>
  JSON.stringify({ version: 1, reason: 'unavailable', parked_at: '2024-05-29T16:26:41.000Z', item });

describe('parking', () => {
  it('creates the SQS client only when the first update is parked', async () => {
    const sqs = await startSqs(['parked'], {
      faults: new FaultInjector(),
      calls: new CallLog(),
      region: 'us-east-1',
      accountId: '000000000000',
    });
    const queue = sqs.queue('parked');
    let created: SQSClient | undefined;
    try {
      // The handler passes the tracer's capture as `instrument`: it sees every client created.
      const instrument = jest.fn((client: SQSClient) => (created = client));
      const clientConfig = {
        region: 'us-east-1',
        endpoint: sqs.endpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      };
      const parking = new ParkingQueue(queue.url, { clientConfig, instrument });
      expect(instrument).not.toHaveBeenCalled();
      await parking.park(ITEM, 'unavailable');
      expect(instrument).toHaveBeenCalledTimes(1);
      expect(instrument.mock.calls[0][0]).toBeInstanceOf(SQSClient);
      const second = { ...ITEM, timestamp: ITEM.timestamp + 1 };
      await parking.park(second, 'unavailable');
      expect(instrument).toHaveBeenCalledTimes(1);
      expect(queue.messages().map((message) => decodeParked(message.body))).toEqual([ITEM, second]);
    } finally {
      created?.destroy();
      await sqs.close();
    }
  });

  it('refuses to park without a queue URL', async () => {
    await expect(new ParkingQueue(undefined, { clientConfig: {} }).park(ITEM, 'unavailable')).rejects.toThrow(
      ParkingError,
    );
  });

  it.each([
    ['not JSON', 'nope'],
    ['another version', JSON.stringify({ version: 2, item: ITEM })],
    ['an invalid update', encodeParked({ ...ITEM, location: { lat: 100, lng: 0 } }, 'x')],
    ['no update_id', encodeParked({ ...ITEM, update_id: '' }, 'x')],
    ['a bad timestamp', encodeParked({ ...ITEM, timestamp: 1.5 }, 'x')],
    ['a status_shard of another status', legacyMessage({ ...ITEM, status_shard: 'pending#1' })],
    ['an event_time that is no instant', encodeParked({ ...ITEM, event_time: '2024-02-30T00:00:00Z' }, 'x')],
    ['an event_time of another shape', encodeParked({ ...ITEM, event_time: '1717000000000' }, 'x')],
    ['the state record timestamp', encodeParked({ ...ITEM, timestamp: 0 }, 'x')],
  ])('does not replay a message with %s', (_name, body) => {
    expect(() => decodeParked(body)).toThrow();
  });

  it('replays a message the previous version parked: status_shard dropped, event_time = created_at', () => {
    const { event_time: _none, ...previous } = ITEM;
    const body = legacyMessage({ ...previous, status_shard: statusShard('in_transit', 'SHIP-9', 8) });
    expect(decodeParked(body)).toEqual({ ...ITEM, event_time: ITEM.created_at });
  });

  it('replays a parked event_time from long ago: the window was checked when it was accepted', () => {
    const old = { ...ITEM, event_time: '2001-01-01T00:00:00.000Z' };
    expect(decodeParked(encodeParked(old, 'x'))).toEqual(old);
  });
});

describe('npm run replay configuration', () => {
  it(`takes ${FUNCTION_ENV.queueUrl} and ${FUNCTION_ENV.tableName} from the environment, flags winning`, () => {
    expect(parseReplayArgs([], { [FUNCTION_ENV.queueUrl]: 'q-env', [FUNCTION_ENV.tableName]: 't-env' })).toEqual({
      queueUrl: 'q-env',
      tableName: 't-env',
    });
    expect(
      parseReplayArgs(['--queue-url', 'q-flag', '--table-name=t-flag', '--max', '5', '--wait', '0'], {
        [FUNCTION_ENV.queueUrl]: 'q-env',
      }),
    ).toEqual({
      queueUrl: 'q-flag',
      tableName: 't-flag',
      maxMessages: 5,
      waitTimeSeconds: 0,
    });
  });

  it('exits 2 with a clear message when the queue or the table is not configured', async () => {
    const errors: string[] = [];
    expect(
      await main(
        [],
        {},
        () => undefined,
        (line) => errors.push(line),
      ),
    ).toBe(2);
    expect(
      await main(
        ['--queue-url', 'q'],
        {},
        () => undefined,
        (line) => errors.push(line),
      ),
    ).toBe(2);
    expect(
      await main(
        ['--bogus'],
        {},
        () => undefined,
        (line) => errors.push(line),
      ),
    ).toBe(2);
    expect(errors[0]).toMatch(new RegExp(`^replay: no queue: set ${FUNCTION_ENV.queueUrl} or pass --queue-url`));
    expect(errors[1]).toMatch(new RegExp(`^replay: no table: set ${FUNCTION_ENV.tableName} or pass --table-name`));
    expect(errors[2]).toMatch(/^replay: unknown argument "--bogus"/);
  });

  it('prints a one-line summary', () => {
    expect(
      formatSummary({
        queuedBefore: 3,
        received: 3,
        stored: 2,
        alreadyStored: 1,
        failed: 0,
        unreplayable: 0,
        notDeleted: 0,
        failures: [],
        unreplayables: [],
      }),
    ).toBe('replay: received 3 (queue held ~3): stored 2, already stored 1, failed 0');
  });

  it('lists each unreplayable message (id and reason) under the summary line', () => {
    expect(
      formatSummary({
        received: 2,
        stored: 1,
        alreadyStored: 0,
        failed: 0,
        unreplayable: 1,
        notDeleted: 0,
        failures: [],
        unreplayables: [{ messageId: 'm-2', reason: 'message body is not JSON' }],
      }),
    ).toBe(
      'replay: received 2: stored 1, already stored 0, failed 0, unreplayable 1\n  unreplayable m-2: message body is not JSON',
    );
  });
});
