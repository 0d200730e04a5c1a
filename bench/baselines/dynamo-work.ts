/**
 * The DynamoDB work of POST /track and GET /status with the document client, and nothing else:
 * all of `minimal`, and the core of `floor`, so the two baselines differ only in the libraries.
 */
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

export interface BaselineEvent {
  httpMethod: string;
  body: string | null;
  queryStringParameters: Record<string, string> | null;
  requestContext: { requestId: string };
}

export async function dynamoWork(documents: DynamoDBDocumentClient, table: string | undefined, event: BaselineEvent) {
  if (event.httpMethod === 'POST') {
    const update = JSON.parse(event.body ?? '{}');
    const timestamp = Date.now();
    await documents.send(new PutCommand({ TableName: table, Item: { ...update, timestamp } }));
    return { statusCode: 200, body: JSON.stringify({ tracking_id: update.tracking_id, timestamp }) };
  }
  const trackingId = event.queryStringParameters?.tracking_id;
  const result = await documents.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'tracking_id = :id',
      ExpressionAttributeValues: { ':id': trackingId },
      ScanIndexForward: false,
      Limit: 10,
    }),
  );
  return {
    statusCode: 200,
    body: JSON.stringify({ tracking_id: trackingId, updates: result.Items, count: result.Count }),
  };
}
