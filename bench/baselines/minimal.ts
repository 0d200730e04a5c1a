/**
 * Benchmark baseline: only the DynamoDB work of POST /track and GET /status with the document
 * client. No Powertools, no validation, no SSM: the floor for this job.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';

const table = process.env.TABLE_NAME;
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

interface Event {
  httpMethod: string;
  body: string | null;
  queryStringParameters: Record<string, string> | null;
}

export const handler = async (event: Event) => {
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
  return { statusCode: 200, body: JSON.stringify({ tracking_id: trackingId, updates: result.Items, count: result.Count }) };
};
