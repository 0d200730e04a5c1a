/**
 * The local DynamoDB's read cache (local/aws/read-cache.ts): a read repeated while nothing changed is
 * answered from memory; no answer read before or during a change is served after it; only
 * successful answers are kept. Then through the SDK: every kind of change (PutItem, UpdateItem,
 * DeleteItem, a failed conditional write, parallel writes and reads) is visible to the next Query,
 * GetItem and Scan, as DynamoDB answers them.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { startLocalAws, type LocalAws } from '../../local/aws';
import { RawAnswer } from '../../local/aws/json-protocol';
import { ReadCache } from '../../local/aws/read-cache';

describe('ReadCache', () => {
  /** A read that counts how often the engine was asked, answering `status` with the count. */
  function engine(status = 200) {
    let calls = 0;
    return {
      read: async () => new RawAnswer(status, String(++calls)),
      calls: () => calls,
    };
  }

  it('answers a repeated request from memory, a different one from the engine', async () => {
    const cache = new ReadCache();
    const e = engine();
    expect((await cache.read('Query a', e.read)).body).toBe('1');
    expect((await cache.read('Query a', e.read)).body).toBe('1');
    expect((await cache.read('Query b', e.read)).body).toBe('2');
    expect(e.calls()).toBe(2);
  });

  it('reads from the engine again after a change', async () => {
    const cache = new ReadCache();
    const e = engine();
    await cache.read('Query a', e.read);
    await cache.change(async () => undefined);
    expect((await cache.read('Query a', e.read)).body).toBe('2');
  });

  it('keeps no answer that was read while a change started or ended', async () => {
    const cache = new ReadCache();
    const e = engine();
    let release!: () => void;
    const slowRead = cache.read('Query a', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return e.read();
    });
    // A change starts and ends while the read is in flight: its answer may predate the change.
    await cache.change(async () => undefined);
    release();
    expect((await slowRead).body).toBe('1');
    expect((await cache.read('Query a', e.read)).body).toBe('2');
  });

  it('keeps no answer read while a change is still running', async () => {
    const cache = new ReadCache();
    const e = engine();
    let finish!: () => void;
    const change = cache.change(() => new Promise<void>((resolve) => (finish = resolve)));
    await cache.read('Query a', e.read);
    finish();
    await change;
    expect((await cache.read('Query a', e.read)).body).toBe('2');
  });

  it('empties itself after a change that failed too', async () => {
    const cache = new ReadCache();
    const e = engine();
    await cache.read('Query a', e.read);
    await expect(cache.change(async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect((await cache.read('Query a', e.read)).body).toBe('2');
  });

  it('does not keep an error answer', async () => {
    const cache = new ReadCache();
    const e = engine(400);
    await cache.read('Query a', e.read);
    await cache.read('Query a', e.read);
    expect(e.calls()).toBe(2);
  });
});

describe('the local DynamoDB with its read cache (through the SDK)', () => {
  const region = 'us-west-2';
  const table = 'read-cache-test-table';
  let aws: LocalAws;
  let client: DynamoDBClient;

  type Item = Record<string, AttributeValue>;
  const key = (id: string, timestamp: number): Item => ({
    tracking_id: { S: id },
    timestamp: { N: String(timestamp) },
  });
  const statuses = async (id: string) => {
    const answer = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'tracking_id = :id',
        ExpressionAttributeValues: { ':id': { S: id } },
        ConsistentRead: true,
      }),
    );
    return (answer.Items ?? []).map((item) => item.status?.S);
  };
  const put = (id: string, timestamp: number, status: string) =>
    client.send(new PutItemCommand({ TableName: table, Item: { ...key(id, timestamp), status: { S: status } } }));

  beforeAll(async () => {
    aws = await startLocalAws({ region, tables: [table], queues: [], parameters: {} });
    client = new DynamoDBClient({
      region,
      endpoint: aws.endpoints.dynamodb,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await aws?.close();
  });

  it('shows every put, update and delete to the next Query, GetItem and Scan', async () => {
    await put('RC-1', 1, 'pending');
    expect(await statuses('RC-1')).toEqual(['pending']);
    expect(await statuses('RC-1')).toEqual(['pending']);

    await put('RC-1', 2, 'in_transit');
    expect(await statuses('RC-1')).toEqual(['pending', 'in_transit']);

    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key('RC-1', 1),
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'failed' } },
      }),
    );
    expect(await statuses('RC-1')).toEqual(['failed', 'in_transit']);
    const got = await client.send(new GetItemCommand({ TableName: table, Key: key('RC-1', 2), ConsistentRead: true }));
    expect(got.Item?.status?.S).toBe('in_transit');

    await client.send(new DeleteItemCommand({ TableName: table, Key: key('RC-1', 2) }));
    expect(await statuses('RC-1')).toEqual(['failed']);
    const gone = await client.send(new GetItemCommand({ TableName: table, Key: key('RC-1', 2), ConsistentRead: true }));
    expect(gone.Item).toBeUndefined();
    const scanned = await client.send(new ScanCommand({ TableName: table }));
    expect(scanned.Items?.filter((item) => item.tracking_id?.S === 'RC-1').map((item) => item.status?.S)).toEqual([
      'failed',
    ]);
  });

  it('shows nothing new after a conditional write that failed, and the write after it', async () => {
    await put('RC-2', 1, 'pending');
    expect(await statuses('RC-2')).toEqual(['pending']);
    await expect(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...key('RC-2', 1), status: { S: 'delivered' } },
          ConditionExpression: 'attribute_not_exists(#ts)',
          ExpressionAttributeNames: { '#ts': 'timestamp' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    expect(await statuses('RC-2')).toEqual(['pending']);
    await put('RC-2', 2, 'delivered');
    expect(await statuses('RC-2')).toEqual(['pending', 'delivered']);
  });

  it('never serves a read older than the writes that finished before it, with reads and writes in parallel', async () => {
    const writes = Array.from({ length: 20 }, (_, i) => i + 1);
    // After each write has finished, whether a read then holds that very write (its status names it).
    const seenAfter = await Promise.all(
      writes.map(async (timestamp) => {
        await Promise.all([statuses('RC-3'), put('RC-3', timestamp, `in_transit-${timestamp}`), statuses('RC-3')]);
        return (await statuses('RC-3')).includes(`in_transit-${timestamp}`);
      }),
    );
    expect(seenAfter).toEqual(writes.map(() => true));
    expect(await statuses('RC-3')).toHaveLength(writes.length);
  });
});
