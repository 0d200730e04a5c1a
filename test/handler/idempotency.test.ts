/**
 * `Idempotency-Key` on POST /track and POST /track/batch (lambda/idempotency.ts, Powertools
 * Idempotency on the local DynamoDB): a retry gets the first answer and stores nothing twice; the
 * same key with another body is a 422; the same key at the same time stores once; a malformed key is
 * a 400 that stores nothing; an answer that did not keep every update is not remembered.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createHandler } from '../../lambda/app';
import { IDEMPOTENCY } from '../../lambda/contract';
import {
  captureOutput,
  invoke,
  lambdaContext,
  postBatchEvent,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type EventOptions,
  type TestAws,
} from '../helpers/handler-harness';

let aws: TestAws;
let idempotencyTable: string;

beforeAll(async () => {
  aws = await startTestAws();
  idempotencyTable = aws.definition.environment.IDEMPOTENCY_TABLE_NAME as string;
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  captureOutput();
  aws.setParameters();
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.reset();
});

const withKey = (key: string, options: EventOptions = {}): EventOptions => ({
  ...options,
  headers: { 'Content-Type': 'application/json', [IDEMPOTENCY.header]: key },
});

async function records() {
  const page = await aws.documents.send(new ScanCommand({ TableName: idempotencyTable, ConsistentRead: true }));
  return page.Items ?? [];
}

describe('a retried POST with the same Idempotency-Key', () => {
  it('gets the first answer again (same status, same timestamp), marked replayed, and the shipment has one update', async () => {
    const handler = createHandler(aws.env);
    const update = validUpdate('IDEM-1');

    const first = await invoke(handler, postTrackEvent(update, withKey('scan-42-attempt')));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const retry = await invoke(handler, postTrackEvent(update, withKey('scan-42-attempt')));

    expect(first.statusCode).toBe(200);
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers?.[IDEMPOTENCY.replayedHeader]).toBe('true');
    expect(first.headers?.[IDEMPOTENCY.replayedHeader]).toBeUndefined();
    expect(await aws.itemsOf('IDEM-1')).toHaveLength(1);
    expect((await aws.itemsOf('IDEM-1'))[0].timestamp).toBe(first.body.timestamp);
  });

  it('replays across execution environments (the record is in DynamoDB, not in memory)', async () => {
    const update = validUpdate('IDEM-2');
    const first = await invoke(createHandler(aws.env), postTrackEvent(update, withKey('k-2')));
    const retry = await invoke(createHandler(aws.env), postTrackEvent(update, withKey('k-2')));
    expect(retry.body.timestamp).toBe(first.body.timestamp);
    expect(await aws.itemsOf('IDEM-2')).toHaveLength(1);
  });

  it('treats the same body with other whitespace or key order as the same request', async () => {
    const handler = createHandler(aws.env);
    const update = validUpdate('IDEM-3');
    const reordered = { location: update.location, status: update.status, tracking_id: update.tracking_id };
    const first = await invoke(handler, postTrackEvent(JSON.stringify(update), withKey('k-3')));
    const retry = await invoke(handler, postTrackEvent(JSON.stringify(reordered, null, 2), withKey('k-3')));
    expect(retry.statusCode).toBe(200);
    expect(retry.body.timestamp).toBe(first.body.timestamp);
    expect(await aws.itemsOf('IDEM-3')).toHaveLength(1);
  });

  it('replays a batch answer on POST /track/batch', async () => {
    const handler = createHandler(aws.env);
    const updates = [validUpdate('IDEM-B1'), validUpdate('IDEM-B2')];
    const first = await invoke(handler, postBatchEvent(updates, withKey('batch-1')));
    const retry = await invoke(handler, postBatchEvent(updates, withKey('batch-1')));
    expect(first.statusCode).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await aws.itemsOf('IDEM-B1')).length + (await aws.itemsOf('IDEM-B2')).length).toBe(2);
  });

  it('keeps one record per key, expiring after the contract TTL (epoch seconds, what DynamoDB TTL reads)', async () => {
    const handler = createHandler(aws.env);
    const before = Math.floor(Date.now() / 1000);
    await invoke(handler, postTrackEvent(validUpdate('IDEM-TTL'), withKey('ttl-key')));
    const mine = (await records()).filter((r) => r.status === 'COMPLETED');
    expect(mine.length).toBeGreaterThanOrEqual(1);
    const record = mine[mine.length - 1];
    expect(record[IDEMPOTENCY.table.ttlAttribute]).toBeGreaterThanOrEqual(before + IDEMPOTENCY.ttlSeconds);
    expect(record[IDEMPOTENCY.table.ttlAttribute]).toBeLessThanOrEqual(before + IDEMPOTENCY.ttlSeconds + 5);
    // The record names neither the caller nor the key in clear: both are hashed into its id.
    expect(JSON.stringify(record[IDEMPOTENCY.table.hashKey])).not.toContain('ttl-key');
  });
});

describe('the same key with a different request', () => {
  it('answers 422 with a clear message and stores nothing more', async () => {
    const handler = createHandler(aws.env);
    await invoke(handler, postTrackEvent(validUpdate('IDEM-4'), withKey('k-4')));
    const other = await invoke(
      handler,
      postTrackEvent(validUpdate('IDEM-4', { status: 'delivered' }), withKey('k-4', { requestId: 'req-422' })),
    );
    expect(other.statusCode).toBe(422);
    expect(other.body).toEqual({
      error: `this ${IDEMPOTENCY.header} was already used for a different request`,
      details: [
        {
          field: IDEMPOTENCY.header,
          message: 'was used within 24 hours with another body or route; use a new key for a new request',
        },
      ],
      request_id: 'req-422',
    });
    expect(await aws.itemsOf('IDEM-4')).toHaveLength(1);
  });

  it('answers 422 for the same key and body on the other POST route', async () => {
    const handler = createHandler(aws.env);
    const update = validUpdate('IDEM-5');
    await invoke(handler, postTrackEvent(update, withKey('k-5')));
    const batch = await invoke(handler, postBatchEvent([update], withKey('k-5')));
    expect(batch.statusCode).toBe(422);
    expect(await aws.itemsOf('IDEM-5')).toHaveLength(1);
  });

  it('keys are per caller: another caller with the same key and body is a new request', async () => {
    const handler = createHandler(aws.env);
    const update = validUpdate('IDEM-6');
    const mine = await invoke(handler, postTrackEvent(update, withKey('shared-key')));
    const theirs = await invoke(
      handler,
      postTrackEvent(update, withKey('shared-key', { userArn: 'arn:aws:iam::123456789012:user/other-carrier' })),
    );
    expect(theirs.statusCode).toBe(200);
    expect(theirs.headers?.[IDEMPOTENCY.replayedHeader]).toBeUndefined();
    expect(theirs.body.timestamp).not.toBe(mine.body.timestamp);
    expect(await aws.itemsOf('IDEM-6')).toHaveLength(2);
  });
});

describe('the same key sent concurrently', () => {
  it('stores exactly one update; every other request is answered 409 (Retry-After) or with the replay', async () => {
    const handler = createHandler(aws.env);
    const update = validUpdate('IDEM-RACE');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => invoke(handler, postTrackEvent(update, withKey('race-key')))),
    );
    const stored = await aws.itemsOf('IDEM-RACE');
    expect(stored).toHaveLength(1);
    const ok = answers.filter((a) => a.statusCode === 200);
    const conflicts = answers.filter((a) => a.statusCode === 409);
    expect(ok.length + conflicts.length).toBe(answers.length);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const answer of ok) expect(answer.body.timestamp).toBe(stored[0].timestamp);
    for (const conflict of conflicts) {
      expect(conflict.headers?.['Retry-After']).toBe('1');
      expect(conflict.body.details).toEqual([
        { field: IDEMPOTENCY.header, message: 'another request with this key has not finished yet' },
      ]);
    }
  });
});

describe('malformed keys', () => {
  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(IDEMPOTENCY.maxLength + 1)],
    ['a control character', 'abc\u0001def'],
    ['non-ASCII', 'clé-1'],
  ])('%s: 400 naming the header, nothing stored, no record', async (_name, key) => {
    const handler = createHandler(aws.env);
    const before = (await records()).length;
    const answer = await invoke(handler, postTrackEvent(validUpdate('IDEM-BAD'), withKey(key)));
    expect(answer.statusCode).toBe(400);
    expect(answer.body.details).toEqual([
      { field: IDEMPOTENCY.header, message: 'must be 1 to 255 printable ASCII characters (space to ~)' },
    ]);
    expect(await aws.itemsOf('IDEM-BAD')).toHaveLength(0);
    expect((await records()).length).toBe(before);
  });

  it('accepts exactly 255 printable characters', async () => {
    const handler = createHandler(aws.env);
    const key = ' !"#~'.repeat(51);
    expect(key).toHaveLength(255);
    const answer = await invoke(handler, postTrackEvent(validUpdate('IDEM-255'), withKey(key)));
    expect(answer.statusCode).toBe(200);
  });
});

describe('answers that are not remembered', () => {
  it('a 503 (DynamoDB and the queue refused) deletes its record: the retry runs again and stores', async () => {
    const handler = createHandler(aws.env);
    const update = validUpdate('IDEM-503');
    const clearQueue = aws.fault('sqs:SendMessage=ServiceUnavailable');
    // Only the tracking table refuses: the idempotency record's own put passes.
    const restore = aws.local.faults.add({
      service: 'dynamodb',
      operation: 'PutItem',
      error: 'ProvisionedThroughputExceededException',
      match: (input: Record<string, unknown>) => input.TableName === aws.tableName,
    });
    const refused = await invoke(handler, postTrackEvent(update, withKey('k-503')), lambdaContext());
    expect(refused.statusCode).toBe(503);
    restore();
    clearQueue();
    const retry = await invoke(handler, postTrackEvent(update, withKey('k-503')));
    expect(retry.statusCode).toBe(200);
    expect(retry.headers?.[IDEMPOTENCY.replayedHeader]).toBeUndefined();
    expect(await aws.itemsOf('IDEM-503')).toHaveLength(1);
  });

  it('the record store refusing the in-progress record: 503 with Retry-After, nothing stored', async () => {
    const handler = createHandler(aws.env);
    aws.local.faults.add({
      service: 'dynamodb',
      operation: 'PutItem',
      error: 'ProvisionedThroughputExceededException',
      match: (input: Record<string, unknown>) => input.TableName === idempotencyTable,
    });
    const answer = await invoke(handler, postTrackEvent(validUpdate('IDEM-STORE'), withKey('k-store')));
    expect(answer.statusCode).toBe(503);
    expect(answer.headers?.['Retry-After']).toBe('1');
    expect(await aws.itemsOf('IDEM-STORE')).toHaveLength(0);
  });
});

it('without the header, two identical POSTs store two updates (idempotency is opt-in)', async () => {
  const handler = createHandler(aws.env);
  const update = validUpdate('IDEM-NONE');
  const before = (await records()).length;
  await invoke(handler, postTrackEvent(update));
  await new Promise((resolve) => setTimeout(resolve, 2));
  await invoke(handler, postTrackEvent(update));
  expect(await aws.itemsOf('IDEM-NONE')).toHaveLength(2);
  expect((await records()).length).toBe(before);
});
