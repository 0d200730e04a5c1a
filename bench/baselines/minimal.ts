/**
 * Benchmark baseline: only the DynamoDB work of POST /track and GET /status with the document
 * client. No Powertools, no validation, no SSM: the floor for this job.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type BaselineEvent, dynamoWork } from './dynamo-work';
import { FUNCTION_ENV } from '../../lambda/contract';

const table = process.env[FUNCTION_ENV.tableName];
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = (event: BaselineEvent) => dynamoWork(documents, table, event);
