/**
 * The tracking table and the queue that parks updates DynamoDB refused (also the function's DLQ).
 */
import * as pulumi from '@pulumi/pulumi';
import * as dynamodb from '@pulumi/aws/dynamodb';
import * as sqs from '@pulumi/aws/sqs';
import { TRACKING_TABLE } from '../lambda/contract';
import type { TapStackArgs } from './config';
import { resourceNames } from './names';
import type { Scope } from './scope';

/** SQS's maximum retention (14 days): parked updates wait for a replay as long as SQS allows. */
const QUEUE_RETENTION_SECONDS = 14 * 24 * 60 * 60;
/** A replay worker holds a message this long before SQS offers it again. */
const QUEUE_VISIBILITY_TIMEOUT_SECONDS = 300;

export interface Storage {
  table: dynamodb.Table;
  queue: sqs.Queue;
  queuePolicy: sqs.QueuePolicy;
}

export function createStorage(scope: Scope, args: TapStackArgs): Storage {
  const parent = scope.parent;
  const index = TRACKING_TABLE.statusIndex;

  const table = new dynamodb.Table(
    scope.name('tracking-table'),
    {
      name: resourceNames(args.environmentSuffix).table,
      billingMode: 'PAY_PER_REQUEST',
      hashKey: TRACKING_TABLE.hashKey,
      rangeKey: TRACKING_TABLE.rangeKey,
      attributes: TRACKING_TABLE.attributes.map((a) => ({ name: a.name, type: a.type })),
      // StatusIndex is keyed on status_shard = `<status>#<n>`, not the bare status: four status
      // values would make four hot index partitions, and a GSI that cannot keep up throttles every
      // base-table write carrying that status. n = hash(tracking_id) mod statusShardCount.
      globalSecondaryIndexes: [
        {
          name: index.name,
          keySchemas: [
            { attributeName: index.hashKey, keyType: 'HASH' },
            { attributeName: index.rangeKey, keyType: 'RANGE' },
          ],
          projectionType: index.projectionType,
        },
      ],
      streamEnabled: true,
      streamViewType: TRACKING_TABLE.streamViewType,
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true },
      deletionProtectionEnabled: args.tableDeletionProtection,
    },
    { parent },
  );

  const queue = new sqs.Queue(
    scope.name('parked-updates-queue'),
    {
      name: resourceNames(args.environmentSuffix).queue,
      messageRetentionSeconds: QUEUE_RETENTION_SECONDS,
      visibilityTimeoutSeconds: QUEUE_VISIBILITY_TIMEOUT_SECONDS,
      sqsManagedSseEnabled: true,
    },
    { parent },
  );

  // Encryption at rest is SSE; this makes encryption in transit mandatory too.
  const queuePolicy = new sqs.QueuePolicy(
    scope.name('parked-updates-queue-policy'),
    {
      queueUrl: queue.url,
      policy: pulumi.jsonStringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sqs:*',
            Resource: queue.arn,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
    },
    { parent },
  );

  return { table, queue, queuePolicy };
}
