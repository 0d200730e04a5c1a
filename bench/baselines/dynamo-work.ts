/**
 * The DynamoDB calls of the API function's job, made as the function makes them (the same
 * conditional put of the same item, the same two reads of GET /status, one StatusIndex query per
 * shard for GET /shipments reading the listing's attributes, LISTING_PROJECTION) with the document client, and nothing else: no validation, routing, cursors or
 * parking. All of `minimal`, and the core of `floor`, so the two baselines differ only in the
 * libraries and both do exactly the AWS work ours does.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'crypto';
import { FUNCTION_ENV, TRACKING_TABLE } from '../../lambda/contract';
import { LISTING_PROJECTION } from '../../lambda/listing';

export interface BaselineEvent {
  httpMethod: string;
  path: string;
  body: string | null;
  queryStringParameters: Record<string, string> | null;
  requestContext: { requestId: string; identity?: { userArn?: string | null } };
}

const shardCount = Number(process.env[FUNCTION_ENV.statusShardCount] ?? TRACKING_TABLE.defaultStatusShardCount);
const STATE = TRACKING_TABLE.stateTimestamp;

async function put(documents: DynamoDBDocumentClient, table: string | undefined, event: BaselineEvent) {
  const update = JSON.parse(event.body ?? '{}');
  const timestamp = Date.now();
  const at = new Date(timestamp).toISOString();
  // The item the function writes (enhanced_tracking on: the caller's ARN and the request id too).
  const callerArn = event.requestContext.identity?.userArn;
  const item = {
    ...update,
    timestamp,
    event_time: update.event_time ?? at,
    environment: process.env[FUNCTION_ENV.environment],
    created_at: at,
    update_id: randomUUID(),
    ...(callerArn ? { caller_arn: callerArn } : {}),
    request_id: event.requestContext.requestId,
  };
  await documents.send(
    new PutCommand({
      TableName: table,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#ts) OR #uid = :uid',
      ExpressionAttributeNames: { '#ts': 'timestamp', '#uid': 'update_id' },
      ExpressionAttributeValues: { ':uid': item.update_id },
      ReturnValues: 'ALL_OLD',
    }),
  );
  return { tracking_id: update.tracking_id, timestamp };
}

async function status(documents: DynamoDBDocumentClient, table: string | undefined, trackingId: string | undefined) {
  const query = (condition: string, extra: object) =>
    documents.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: condition,
        ExpressionAttributeNames: { '#id': 'tracking_id', '#ts': 'timestamp' },
        ExpressionAttributeValues: { ':id': trackingId, ':state': STATE },
        ConsistentRead: true,
        ...extra,
      }),
    );
  const [history, state] = await Promise.all([
    query('#id = :id AND #ts > :state', { ScanIndexForward: false, Limit: 10 }),
    query('#id = :id AND #ts = :state', {}),
  ]);
  return { tracking_id: trackingId, current: state.Items?.[0], updates: history.Items, count: history.Count };
}

async function shipments(documents: DynamoDBDocumentClient, table: string | undefined, status: string | undefined) {
  const index = TRACKING_TABLE.statusIndex;
  const limit = 20;
  const pages = await Promise.all(
    Array.from({ length: shardCount }, (_, n) =>
      documents.send(
        new QueryCommand({
          TableName: table,
          IndexName: index.name,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': index.hashKey, ...LISTING_PROJECTION.names },
          ExpressionAttributeValues: { ':shard': `${status}#${n}` },
          ScanIndexForward: false,
          ProjectionExpression: LISTING_PROJECTION.expression,
          Limit: limit,
        }),
      ),
    ),
  );
  const merged = pages
    .flatMap((page) => page.Items ?? [])
    .sort((a, b) => (a[index.rangeKey] < b[index.rangeKey] ? 1 : -1))
    .slice(0, limit);
  return { status, shipments: merged, count: merged.length };
}

export async function dynamoWork(documents: DynamoDBDocumentClient, table: string | undefined, event: BaselineEvent) {
  const body =
    event.httpMethod === 'POST'
      ? await put(documents, table, event)
      : event.path.endsWith('/shipments')
        ? await shipments(documents, table, event.queryStringParameters?.status)
        : await status(documents, table, event.queryStringParameters?.tracking_id);
  return { statusCode: 200, body: JSON.stringify(body) };
}
