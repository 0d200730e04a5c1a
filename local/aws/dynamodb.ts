/**
 * An embedded DynamoDB-compatible engine (dynalite, in this process) and the tracking table on it,
 * created from the same definition the stack deploys (TRACKING_TABLE in lambda/contract.ts).
 */
import dynalite from 'dynalite';
import type { AddressInfo } from 'net';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TRACKING_TABLE } from '../../lambda/contract';

export interface LocalDynamo {
  endpoint: string;
  close(): Promise<void>;
}

/** Starts dynalite on 127.0.0.1 (port 0 = a free one); in memory unless dataDir is given. */
export async function startDynamo(options: { port?: number; dataDir?: string } = {}): Promise<LocalDynamo> {
  const server = dynalite({ path: options.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

/** The CreateTable request for the tracking table: the same keys and StatusIndex as the stack's. */
export function trackingTableDefinition(tableName: string): CreateTableCommandInput {
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
