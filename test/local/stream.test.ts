/**
 * The local DynamoDB's streams (local/aws/stream.ts, kept by the front in local/aws/dynamodb.ts),
 * driven by the real @aws-sdk/client-dynamodb: the record DynamoDB Streams writes for each change
 * (INSERT / MODIFY with both images), none for a write that changed nothing or failed, increasing
 * sequence numbers, and one item's concurrent writes recorded one after the other.
 */
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { canonical, eventNameOf, LocalStream, type StreamRecord } from '../../local/aws/stream';

const region = 'us-west-2';
const table = 'stream-test-table';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

type Item = Record<string, AttributeValue>;
const key = (id: string, timestamp = 1700000000000): Item => ({
  tracking_id: { S: id },
  timestamp: { N: String(timestamp) },
});
const item = (id: string, extra: Item = {}, timestamp?: number): Item => ({
  ...key(id, timestamp),
  status: { S: 'in_transit' },
  location: { M: { lat: { N: '52.52' }, lng: { N: '13.405' } } },
  ...extra,
});

describe('local DynamoDB streams (through the SDK)', () => {
  let aws: LocalAws;
  let client: DynamoDBClient;
  let stream: LocalStream;

  /** Records appended while `act` runs. */
  async function recordsOf(act: () => Promise<unknown>): Promise<StreamRecord[]> {
    const before = stream.latestSequenceNumber();
    await act();
    return stream.read({ after: before });
  }

  beforeAll(async () => {
    aws = await startLocalAws({ region, tables: [table], queues: [], parameters: {} });
    client = new DynamoDBClient({ region, endpoint: aws.endpoints.dynamodb, credentials, maxAttempts: 1 });
    stream = aws.streams(table);
  });
  afterEach(() => {
    aws.faults.clear();
    aws.calls.clear();
  });
  afterAll(async () => {
    client?.destroy();
    await aws?.close();
  });

  it('names the stream like DynamoDB (ARN with the label, one shard)', () => {
    expect(stream.streamArn).toMatch(
      /^arn:aws:dynamodb:us-west-2:123456789012:table\/stream-test-table\/stream\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$/,
    );
    expect(stream.streamArn.endsWith(`/stream/${stream.streamLabel}`)).toBe(true);
    expect(stream.shardId).toMatch(/^shardId-\d{20}-[0-9a-f]{8}$/);
    expect(aws.streams(table)).toBe(stream);
    expect(() => aws.streams('no-such-table')).toThrow('the local DynamoDB has no table no-such-table');
  });

  it('a new item: one INSERT record with the keys and the new image only', async () => {
    const before = Math.floor(Date.now() / 1000);
    const records = await recordsOf(() =>
      client.send(
        new PutItemCommand({ TableName: table, Item: item('INS-1', { metadata: { M: { a: { S: 'b' } } } }) }),
      ),
    );
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toEqual({
      eventID: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: region,
      dynamodb: {
        ApproximateCreationDateTime: expect.any(Number),
        Keys: key('INS-1'),
        NewImage: item('INS-1', { metadata: { M: { a: { S: 'b' } } } }),
        SequenceNumber: expect.stringMatching(/^[1-9]\d{20}$/),
        SizeBytes: expect.any(Number),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: stream.streamArn,
    });
    expect(record.dynamodb.OldImage).toBeUndefined();
    expect(record.dynamodb.ApproximateCreationDateTime).toBeGreaterThanOrEqual(before);
    expect(record.dynamodb.ApproximateCreationDateTime).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(Number.isInteger(record.dynamodb.ApproximateCreationDateTime)).toBe(true);
    // Key and attribute names plus values: tracking_id(11)+"INS-1"(5) + timestamp(9)+13 digits(8) ...
    expect(record.dynamodb.SizeBytes).toBeGreaterThan(40);
    expect(record.dynamodb.SizeBytes).toBeLessThan(400);
  });

  it('an UpdateItem that changes an item: MODIFY with the old and the new image', async () => {
    await client.send(new PutItemCommand({ TableName: table, Item: item('MOD-1') }));
    const records = await recordsOf(() =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key('MOD-1'),
          UpdateExpression: 'SET #s = :s, attempts = :one',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: 'delivered' }, ':one': { N: '1' } },
        }),
      ),
    );
    expect(records).toHaveLength(1);
    expect(records[0].eventName).toBe('MODIFY');
    expect(records[0].dynamodb.Keys).toEqual(key('MOD-1'));
    expect(records[0].dynamodb.OldImage).toEqual(item('MOD-1'));
    expect(records[0].dynamodb.NewImage).toEqual(item('MOD-1', { status: { S: 'delivered' }, attempts: { N: '1' } }));
  });

  it('a PutItem over a different item: MODIFY; an UpdateItem creating an item: INSERT', async () => {
    await client.send(new PutItemCommand({ TableName: table, Item: item('MOD-2') }));
    const replaced = await recordsOf(() =>
      client.send(new PutItemCommand({ TableName: table, Item: item('MOD-2', { status: { S: 'failed' } }) })),
    );
    expect(replaced.map((r) => r.eventName)).toEqual(['MODIFY']);
    expect(replaced[0].dynamodb.OldImage?.status).toEqual({ S: 'in_transit' });
    expect(replaced[0].dynamodb.NewImage?.status).toEqual({ S: 'failed' });

    const created = await recordsOf(() =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key('UPD-NEW'),
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: 'pending' } },
        }),
      ),
    );
    expect(created.map((r) => r.eventName)).toEqual(['INSERT']);
    expect(created[0].dynamodb.NewImage).toEqual({ ...key('UPD-NEW'), status: { S: 'pending' } });
    expect(created[0].dynamodb.OldImage).toBeUndefined();
  });

  it('the Keys are the stored ones (a number as DynamoDB normalises it, not as the request spelt it)', async () => {
    const records = await recordsOf(() =>
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { tracking_id: { S: 'NUM-1' }, timestamp: { N: '1700000000000.000' }, status: { S: 'pending' } },
        }),
      ),
    );
    expect(records).toHaveLength(1);
    expect(records[0].dynamodb.Keys).toEqual({ tracking_id: { S: 'NUM-1' }, timestamp: { N: '1700000000000' } });
  });

  it('no record for a write that changes nothing: an identical put, the same attributes in another order or spelling, a SET to the same value', async () => {
    await client.send(new PutItemCommand({ TableName: table, Item: item('NOOP-1', { price: { N: '1.5' } }) }));
    const { location, status, ...keyAndPrice } = item('NOOP-1', { price: { N: '1.50' } });
    const none = await recordsOf(async () => {
      await client.send(new PutItemCommand({ TableName: table, Item: item('NOOP-1', { price: { N: '1.5' } }) }));
      await client.send(new PutItemCommand({ TableName: table, Item: { status, location, ...keyAndPrice } }));
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key('NOOP-1'),
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': { S: 'in_transit' } },
        }),
      );
      // The product's idempotent put: the same update again (condition passes on its own update_id).
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: item('NOOP-1', { price: { N: '1.5' } }),
          ConditionExpression: 'attribute_not_exists(#ts) OR #p = :p',
          ExpressionAttributeNames: { '#ts': 'timestamp', '#p': 'price' },
          ExpressionAttributeValues: { ':p': { N: '1.5' } },
          ReturnValues: 'ALL_OLD',
        }),
      );
    });
    expect(none).toEqual([]);
  });

  it('no record for a failed conditional write, nor for a write a fault refused', async () => {
    await client.send(new PutItemCommand({ TableName: table, Item: item('COND-1') }));
    const none = await recordsOf(async () => {
      await expect(
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: item('COND-1', { status: { S: 'delivered' } }),
            ConditionExpression: 'attribute_not_exists(#ts)',
            ExpressionAttributeNames: { '#ts': 'timestamp' },
          }),
        ),
      ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      await expect(
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key('COND-1'),
            UpdateExpression: 'SET #s = :s',
            ConditionExpression: '#s = :other',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':s': { S: 'delivered' }, ':other': { S: 'pending' } },
          }),
        ),
      ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
      aws.faults.add('dynamodb:PutItem=InternalServerError#1');
      await expect(client.send(new PutItemCommand({ TableName: table, Item: item('COND-2') }))).rejects.toMatchObject({
        name: 'InternalServerError',
      });
      // A malformed write (the key's type is wrong) fails as the engine says, and writes nothing.
      await expect(
        client.send(
          new PutItemCommand({ TableName: table, Item: { tracking_id: { S: 'BAD' }, timestamp: { S: 'x' } } }),
        ),
      ).rejects.toMatchObject({ name: 'ValidationException' });
    });
    expect(none).toEqual([]);
  });

  it('reads the images from the engine itself: not recorded, never faulted', async () => {
    aws.faults.add('dynamodb:GetItem=InternalServerError');
    const records = await recordsOf(async () => {
      await client.send(new PutItemCommand({ TableName: table, Item: item('READ-1') }));
      await client.send(new PutItemCommand({ TableName: table, Item: item('READ-1', { status: { S: 'failed' } }) }));
    });
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY']);
    expect(aws.calls.calls.map((c) => c.operation)).toEqual(['PutItem', 'PutItem']);
    // The product's own GetItem still gets the fault.
    await expect(client.send(new GetItemCommand({ TableName: table, Key: key('READ-1') }))).rejects.toMatchObject({
      name: 'InternalServerError',
    });
  });

  it('records come in write order with increasing sequence numbers, and can be read from any of them', async () => {
    const seen: StreamRecord[] = [];
    const unsubscribe = stream.subscribe((record) => seen.push(record));
    const records = await recordsOf(async () => {
      for (let i = 0; i < 5; i++) {
        await client.send(new PutItemCommand({ TableName: table, Item: item('ORDER-1', {}, 1700000000000 + i) }));
      }
    });
    unsubscribe();
    expect(records.map((r) => r.dynamodb.Keys.timestamp)).toEqual(
      [0, 1, 2, 3, 4].map((i) => ({ N: String(1700000000000 + i) })),
    );
    expect(seen).toEqual(records);
    const sequence = records.map((r) => BigInt(r.dynamodb.SequenceNumber));
    for (let i = 1; i < sequence.length; i++) expect(sequence[i]).toBeGreaterThan(sequence[i - 1]);
    expect(new Set(records.map((r) => r.dynamodb.SequenceNumber.length)).size).toBe(1);
    expect(stream.read({ after: records[1].dynamodb.SequenceNumber })).toEqual(records.slice(2));
    expect(stream.read({ after: records[1].dynamodb.SequenceNumber, limit: 2 })).toEqual(records.slice(2, 4));
    expect(stream.read().slice(-5)).toEqual(records);
    expect(stream.latestSequenceNumber()).toBe(records[4].dynamodb.SequenceNumber);
    // A record is frozen: a consumer cannot change what the next one reads.
    expect(Object.isFrozen(records[0].dynamodb.Keys)).toBe(true);
  });

  it("serialises one item's concurrent writes: each record's old image is the previous record's new image", async () => {
    const writes = 25;
    const records = await recordsOf(() =>
      Promise.all(
        Array.from({ length: writes }, (_, i) =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: key('CONC-1'),
              UpdateExpression: 'ADD hits :one SET last_writer = :w',
              ExpressionAttributeValues: { ':one': { N: '1' }, ':w': { N: String(i) } },
            }),
          ),
        ),
      ),
    );
    expect(records).toHaveLength(writes);
    expect(records[0].eventName).toBe('INSERT');
    expect(records.slice(1).every((r) => r.eventName === 'MODIFY')).toBe(true);
    expect(records.map((r) => r.dynamodb.NewImage?.hits)).toEqual(
      Array.from({ length: writes }, (_, i) => ({ N: String(i + 1) })),
    );
    for (let i = 1; i < writes; i++) expect(records[i].dynamodb.OldImage).toEqual(records[i - 1].dynamodb.NewImage);
  });

  it('concurrent writes to different items all get their record', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `PAR-${i}`);
    const records = await recordsOf(() =>
      Promise.all(ids.map((id) => client.send(new PutItemCommand({ TableName: table, Item: item(id) })))),
    );
    expect(records.map((r) => r.dynamodb.Keys.tracking_id.S).sort()).toEqual([...ids].sort());
    expect(records.every((r) => r.eventName === 'INSERT')).toBe(true);
  });
});

describe('LocalStream', () => {
  const keys = { id: { S: 'a' } };
  const make = (viewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES') =>
    new LocalStream({ tableName: 't', region: 'eu-west-1', accountId: '111122223333', viewType, now: () => 1e12 });

  it('names the event from the images: INSERT, MODIFY, REMOVE, or nothing', () => {
    expect(eventNameOf({ newImage: keys })).toBe('INSERT');
    expect(eventNameOf({ oldImage: keys, newImage: { ...keys, x: { N: '1' } } })).toBe('MODIFY');
    expect(eventNameOf({ oldImage: keys })).toBe('REMOVE');
    expect(eventNameOf({})).toBeUndefined();
    expect(
      eventNameOf({ oldImage: { ...keys, n: { N: '10' } }, newImage: { n: { N: '1e1' }, ...keys } }),
    ).toBeUndefined();
  });

  it('compares DynamoDB values, not their spelling: numbers, set order, map key order', () => {
    expect(canonical({ N: '1.50' })).toBe(canonical({ N: '1.5' }));
    expect(canonical({ N: '0.05' })).toBe(canonical({ N: '5E-2' }));
    expect(canonical({ N: '-0012' })).toBe(canonical({ N: '-12.000' }));
    expect(canonical({ N: '0' })).toBe(canonical({ N: '0.000' }));
    expect(canonical({ N: '12' })).not.toBe(canonical({ N: '1.2' }));
    expect(canonical({ N: '12' })).not.toBe(canonical({ N: '-12' }));
    expect(canonical({ SS: ['b', 'a'] })).toBe(canonical({ SS: ['a', 'b'] }));
    expect(canonical({ NS: ['2', '1.0'] })).toBe(canonical({ NS: ['1', '2'] }));
    expect(canonical({ M: { a: { S: 'x' }, b: { S: 'y' } } })).toBe(canonical({ M: { b: { S: 'y' }, a: { S: 'x' } } }));
    expect(canonical({ L: [{ S: 'x' }, { S: 'y' }] })).not.toBe(canonical({ L: [{ S: 'y' }, { S: 'x' }] }));
  });

  it('a REMOVE carries the old image; the view type decides which images a record carries', () => {
    const removed = make().append({ keys, oldImage: { ...keys, v: { S: 'old' } } });
    expect(removed?.eventName).toBe('REMOVE');
    expect(removed?.dynamodb.OldImage).toEqual({ ...keys, v: { S: 'old' } });
    expect(removed?.dynamodb.NewImage).toBeUndefined();
    expect(removed?.eventSourceARN).toBe(
      'arn:aws:dynamodb:eu-west-1:111122223333:table/t/stream/2001-09-09T01:46:40.000',
    );
    expect(removed?.dynamodb.ApproximateCreationDateTime).toBe(1e9);

    const change = { keys, oldImage: { ...keys, v: { S: 'old' } }, newImage: { ...keys, v: { S: 'new' } } };
    const images = (viewType: Parameters<typeof make>[0]) => {
      const d = make(viewType).append(change)!.dynamodb;
      return [d.StreamViewType, Boolean(d.OldImage), Boolean(d.NewImage), d.Keys];
    };
    expect(images('KEYS_ONLY')).toEqual(['KEYS_ONLY', false, false, keys]);
    expect(images('NEW_IMAGE')).toEqual(['NEW_IMAGE', false, true, keys]);
    expect(images('OLD_IMAGE')).toEqual(['OLD_IMAGE', true, false, keys]);
    expect(images('NEW_AND_OLD_IMAGES')).toEqual(['NEW_AND_OLD_IMAGES', true, true, keys]);
  });

  it('appends nothing for a change that changed nothing, and copies what it is given', () => {
    const stream = make();
    expect(stream.append({ keys, oldImage: { ...keys }, newImage: { ...keys } })).toBeUndefined();
    const image = { ...keys, v: { S: 'x' } };
    const record = stream.append({ keys, newImage: image })!;
    image.v.S = 'changed';
    expect(record.dynamodb.NewImage?.v).toEqual({ S: 'x' });
    expect(stream.length).toBe(1);
    expect(() => stream.read({ after: 'abc' })).toThrow('not a sequence number');
  });
});
