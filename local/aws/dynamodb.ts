/**
 * The local DynamoDB: the embedded dynalite engine (in this process, in memory unless a data dir is
 * given) behind a front that speaks DynamoDB's protocol (awsJson1_0) like the other local services,
 * so every call is recorded and can be faulted before the engine sees it. The front forwards the
 * calls the product and its tools make, byte for byte, and passes the engine's answer back.
 *
 * The front also keeps each table's stream (dynalite has none; see stream.ts): around every write
 * (PutItem, UpdateItem) it reads the item from the engine itself (a consistent GetItem,
 * not through the front: not recorded, never faulted) before and after forwarding the write, and
 * appends the record DynamoDB Streams would: INSERT, MODIFY or REMOVE from the two images, none when
 * the write failed (a failed condition included) or changed nothing. Writes to one item are run one
 * after the other (a promise chain per table and key), so no other write lands between a write and
 * its reads, and an item's records are in the order of its writes.
 *
 * Reads (Query, GetItem, Scan) repeated while nothing changed are answered from memory (read-cache.ts),
 * so that parallel reads do not queue behind each other's engine work.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { EventEmitter } from 'events';
import type * as http from 'http';
import { IDEMPOTENCY, TRACKING_TABLE } from '../../lambda/contract';
import type { CallLog, FaultInjector } from './faults';
import { RawAnswer, startJsonProtocolServer, type JsonOperation } from './json-protocol';
import { ReadCache } from './read-cache';
import { canonical, LocalStream, type AttributeMap } from './stream';

const TARGET_PREFIX = 'DynamoDB_20120810';

/** What the function, `npm run replay`, the local API and the tests call. */
const OPERATIONS = [
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'GetItem',
  'Scan',
  'DescribeTable',
  'CreateTable',
] as const;

/** The writes that change one item, and so append to its table's stream (when the table has one). */
const ITEM_WRITES = new Set<string>(['PutItem', 'UpdateItem', 'DeleteItem']);
/** The reads answered from the ReadCache while nothing changed; every other operation but DescribeTable may change data. */
const CACHED_READS = new Set<string>(['Query', 'GetItem', 'Scan']);

export interface LocalDynamoDb {
  endpoint: string;
  /** The table's stream (NEW_AND_OLD_IMAGES, created on first use): every change since the front started. */
  streams(tableName: string): LocalStream;
  close(): Promise<void>;
}

/** The engine: dynalite's own request handling, called in this process (see callListener). */
interface Engine {
  call(operation: string, raw: string): Promise<RawAnswer>;
  close(): Promise<void>;
}

/**
 * Runs one call through an http 'request' listener with an in-memory request and response: the
 * request gives its body as 'data' and 'end' events with `headers`, `method` and `url`; the answer
 * is what the listener sets with `statusCode`, `setHeader` and `end`. dynalite's only public API is
 * its http.Server; calling its listener directly spares every call a second loopback HTTP exchange
 * (a request written, parsed, answered and parsed again, in this same process), which made the
 * engine's answers queue behind each other when calls come in parallel.
 */
function callListener(
  listener: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  headers: Record<string, string>,
  raw: string,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const request = Object.assign(new EventEmitter(), { headers, method: 'POST', url: '/' });
    const response = {
      statusCode: 200,
      setHeader: () => response,
      end: (body?: string) => resolve(new RawAnswer(response.statusCode, body ?? '')),
    };
    try {
      listener(request as unknown as http.IncomingMessage, response as unknown as http.ServerResponse);
      if (raw) request.emit('data', Buffer.from(raw, 'utf8'));
      request.emit('end');
    } catch (error) {
      reject(error);
    }
  });
}

async function startEngine(dataDir: string | undefined): Promise<Engine> {
  const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const [listener] = server.listeners('request') as Parameters<typeof callListener>[0][];
  if (!listener) throw new Error('dynalite returned a server without a request listener');
  // Listening (on loopback, never called) only because dynalite's close() stops its server before closing the store.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    call: (operation, raw) =>
      callListener(
        listener,
        {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': `${TARGET_PREFIX}.${operation}`,
          // dynalite checks that a signature is present, not what it is.
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
          'x-amz-date': '20000101T000000Z',
        },
        raw,
      ),
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

export async function startDynamoDb(opts: {
  faults: FaultInjector;
  calls: CallLog;
  /** Named in stream records and stream ARNs. */
  region: string;
  accountId: string;
  dataDir?: string;
  port?: number;
  /** The tables that have a stream (the tracking tables); writes to others append nothing. */
  streamTables: string[];
}): Promise<LocalDynamoDb> {
  const engine = await startEngine(opts.dataDir);
  const send = (operation: string, raw: string) => engine.call(operation, raw);

  const streams = new Map<string, LocalStream>();
  const streamOf = (tableName: string) => {
    let stream = streams.get(tableName);
    if (!stream) {
      stream = new LocalStream({
        tableName,
        region: opts.region,
        accountId: opts.accountId,
        viewType: TRACKING_TABLE.streamViewType,
      });
      streams.set(tableName, stream);
    }
    return stream;
  };

  // The key attributes of each table (from the engine; tables are never deleted, so kept once known).
  const keySchemas = new Map<string, string[]>();
  const keyAttributesOf = async (tableName: string): Promise<string[] | undefined> => {
    const known = keySchemas.get(tableName);
    if (known) return known;
    const answer = await send('DescribeTable', JSON.stringify({ TableName: tableName }));
    if (answer.statusCode !== 200) return undefined;
    const schema = (JSON.parse(answer.body) as { Table?: { KeySchema?: { AttributeName: string }[] } }).Table
      ?.KeySchema;
    if (!schema) return undefined;
    const names = schema.map((k) => k.AttributeName);
    keySchemas.set(tableName, names);
    return names;
  };

  /** The item as it is now (a consistent read on the engine); undefined when there is none. */
  const readItem = async (tableName: string, key: AttributeMap): Promise<AttributeMap | undefined> => {
    const answer = await send('GetItem', JSON.stringify({ TableName: tableName, Key: key, ConsistentRead: true }));
    if (answer.statusCode !== 200) {
      throw new Error(`the local stream could not read the item (${answer.statusCode}: ${answer.body})`);
    }
    return (JSON.parse(answer.body) as { Item?: AttributeMap }).Item;
  };

  // One promise chain per item: a write (with its two reads) starts when the previous one ended.
  const chains = new Map<string, Promise<unknown>>();
  const serialised = <T>(itemId: string, work: () => Promise<T>): Promise<T> => {
    const previous = chains.get(itemId) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.catch(() => undefined);
    chains.set(itemId, tail);
    void tail.then(() => {
      if (chains.get(itemId) === tail) chains.delete(itemId);
    });
    return run;
  };

  /** The table and key a write names; undefined when the request is malformed (the engine refuses it). */
  const targetOf = async (
    operation: string,
    input: Record<string, unknown>,
  ): Promise<{ tableName: string; key: AttributeMap; names: string[] } | undefined> => {
    const tableName = input.TableName;
    if (typeof tableName !== 'string') return undefined;
    const source = (operation === 'PutItem' ? input.Item : input.Key) as AttributeMap | undefined;
    if (!source || typeof source !== 'object') return undefined;
    const names = await keyAttributesOf(tableName);
    if (!names || names.some((name) => !source[name] || typeof source[name] !== 'object')) return undefined;
    return { tableName, key: Object.fromEntries(names.map((name) => [name, source[name]])), names };
  };

  const reads = new ReadCache();
  const forward =
    (operation: string): JsonOperation =>
    async (input, raw) => {
      if (CACHED_READS.has(operation)) return reads.read(`${operation}\u0000${raw}`, () => send(operation, raw));
      if (operation === 'DescribeTable') return send(operation, raw);
      return reads.change(() => write(operation, input, raw));
    };

  const write = async (operation: string, input: Record<string, unknown>, raw: string): Promise<RawAnswer> => {
    if (!ITEM_WRITES.has(operation)) return send(operation, raw);
    if (!opts.streamTables.includes(input.TableName as string)) return send(operation, raw);
    const target = await targetOf(operation, input);
    // No key to read by: the engine answers the (invalid) write with its own error.
    if (!target) return send(operation, raw);
    const { tableName, key, names } = target;
    return serialised(`${tableName}\u0000${canonical(key)}`, async () => {
      let oldImage: AttributeMap | undefined;
      try {
        oldImage = await readItem(tableName, key);
      } catch (error) {
        // The key cannot be read (a wrong key type, say): the write fails the same way; if it did not, say so.
        const answer = await send(operation, raw);
        if (answer.statusCode !== 200) return answer;
        throw error;
      }
      const answer = await send(operation, raw);
      if (answer.statusCode !== 200) return answer;
      const newImage = await readItem(tableName, key);
      // The key as the table holds it (a number as DynamoDB normalised it, not as the request spelt it).
      const image = newImage ?? oldImage;
      const keys = image ? Object.fromEntries(names.map((name) => [name, image[name]])) : key;
      streamOf(tableName).append({ keys, oldImage, newImage });
      return answer;
    });
  };

  const front = await startJsonProtocolServer({
    service: 'dynamodb',
    targetPrefix: TARGET_PREFIX,
    jsonVersion: '1.0',
    faults: opts.faults,
    calls: opts.calls,
    port: opts.port,
    renderError: (code) => ({ type: `com.amazonaws.dynamodb.v20120810#${code}` }),
    operations: Object.fromEntries(OPERATIONS.map((operation) => [operation, forward(operation)])),
  });
  return {
    endpoint: front.endpoint,
    streams: streamOf,
    close: async () => {
      await front.close();
      await engine.close();
    },
  };
}

/** The CreateTable request for the tracking table: the same keys and StatusIndex as the stack's. */
function trackingTableDefinition(tableName: string): CreateTableCommandInput {
  const index = TRACKING_TABLE.statusIndex;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: TRACKING_TABLE.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
    KeySchema: [
      { AttributeName: TRACKING_TABLE.hashKey, KeyType: 'HASH' },
      { AttributeName: TRACKING_TABLE.rangeKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.hashKey, KeyType: 'HASH' },
          { AttributeName: index.rangeKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: index.projectionType },
      },
    ],
  };
}

/**
 * The CreateTable request for an `Idempotency-Key` records' table: the stack's key. (The engine has
 * no TTL; Powertools checks a record's expiry itself, TTL only removes expired records.)
 */
function idempotencyTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: IDEMPOTENCY.table.hashKey, AttributeType: 'S' }],
    KeySchema: [{ AttributeName: IDEMPOTENCY.table.hashKey, KeyType: 'HASH' }],
  };
}

/** Creates a table unless it exists (a persisted data dir keeps it across restarts). */
async function ensureTable(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: definition.TableName }));
    return;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  await client.send(new CreateTableCommand(definition));
}

export const ensureTrackingTable = (client: DynamoDBClient, tableName: string) =>
  ensureTable(client, trackingTableDefinition(tableName));
export const ensureIdempotencyTable = (client: DynamoDBClient, tableName: string) =>
  ensureTable(client, idempotencyTableDefinition(tableName));
