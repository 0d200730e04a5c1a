/**
 * The local DynamoDB: the embedded dynalite engine (in this process, in memory unless a data dir is
 * given) behind a front that speaks DynamoDB's protocol (awsJson1_0) like the other local services,
 * so every call is recorded and can be faulted before the engine sees it. The front forwards the
 * calls the product and its tools make, byte for byte, and passes the engine's answer back.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { TRACKING_TABLE } from '../../lambda/contract';
import type { CallLog, FaultInjector } from './faults';
import { RawAnswer, startJsonProtocolServer, type JsonOperation } from './json-protocol';

const TARGET_PREFIX = 'DynamoDB_20120810';

/** What the function, `npm run replay`, the local API and the tests call. */
const OPERATIONS = ['PutItem', 'UpdateItem', 'Query', 'GetItem', 'Scan', 'DescribeTable', 'CreateTable'] as const;

export interface LocalDynamoDb {
  endpoint: string;
  close(): Promise<void>;
}

async function startEngine(dataDir: string | undefined): Promise<{ port: number; close(): Promise<void> }> {
  const server = dynalite({ path: dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

export async function startDynamoDb(opts: {
  faults: FaultInjector;
  calls: CallLog;
  dataDir?: string;
  port?: number;
}): Promise<LocalDynamoDb> {
  const engine = await startEngine(opts.dataDir);
  const agent = new http.Agent({ keepAlive: true });
  const forward =
    (operation: string): JsonOperation =>
    (_input, raw) =>
      new Promise<RawAnswer>((resolve, reject) => {
        const request = http.request(
          {
            host: '127.0.0.1',
            port: engine.port,
            method: 'POST',
            path: '/',
            agent,
            headers: {
              'Content-Type': 'application/x-amz-json-1.0',
              'Content-Length': Buffer.byteLength(raw),
              'X-Amz-Target': `${TARGET_PREFIX}.${operation}`,
              // dynalite checks that a signature is present, not what it is.
              Authorization:
                'AWS4-HMAC-SHA256 Credential=local/20000101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
              'X-Amz-Date': '20000101T000000Z',
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () =>
              resolve(new RawAnswer(response.statusCode ?? 500, Buffer.concat(chunks).toString('utf8'))),
            );
            response.on('error', reject);
          },
        );
        request.on('error', reject);
        request.end(raw);
      });

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
    close: async () => {
      await front.close();
      agent.destroy();
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

/** Creates the tracking table unless it exists (a persisted data dir keeps it across restarts). */
export async function ensureTrackingTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return;
  } catch (error) {
    if ((error as Error).name !== 'ResourceNotFoundException') throw error;
  }
  await client.send(new CreateTableCommand(trackingTableDefinition(tableName)));
}
