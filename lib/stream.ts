/**
 * The stream consumer's trigger: the event source mapping from the tracking table's stream to the
 * projection function. New history items only (the contract's STREAM_FILTER_PATTERN: the
 * consumer's own state-record writes never come back to it), from the oldest record still in the
 * stream, in batches the function may partly fail (ReportBatchItemFailures); a failing batch is
 * halved until the bad record stands alone, retried, and finally recorded on the failure queue.
 */
import type * as pulumi from '@pulumi/pulumi';
import type * as iam from '@pulumi/aws/iam';
import * as lambda from '@pulumi/aws/lambda';
import { STREAM_FILTER_PATTERN } from '../lambda/contract';
import type { TapStackArgs } from './config';
import type { Scope } from './scope';

export interface StreamDeps {
  /** The table's stream (table.streamArn). */
  streamArn: pulumi.Input<string>;
  /** The consumer function. */
  functionName: pulumi.Input<string>;
  /** The on-failure destination: an SQS queue the function's role may send to. */
  failureQueueArn: pulumi.Input<string>;
  /** The consumer role's policy: Lambda checks the role can read the stream when the mapping is created. */
  policy: iam.RolePolicy;
}

export function createStreamMapping(scope: Scope, args: TapStackArgs, deps: StreamDeps): lambda.EventSourceMapping {
  return new lambda.EventSourceMapping(
    scope.name('consumer-stream-mapping'),
    {
      eventSourceArn: deps.streamArn,
      functionName: deps.functionName,
      // The oldest record the stream still holds (24 h): a new mapping also projects what was
      // written just before it existed.
      startingPosition: 'TRIM_HORIZON',
      batchSize: args.stream.batchSize,
      maximumBatchingWindowInSeconds: args.stream.batchWindowSeconds,
      maximumRetryAttempts: args.stream.maxRetries,
      maximumRecordAgeInSeconds: args.stream.maxRecordAgeSeconds,
      functionResponseTypes: ['ReportBatchItemFailures'],
      bisectBatchOnFunctionError: true,
      destinationConfig: { onFailure: { destinationArn: deps.failureQueueArn } },
      filterCriteria: { filters: [{ pattern: JSON.stringify(STREAM_FILTER_PATTERN) }] },
    },
    { parent: scope.parent, dependsOn: [deps.policy] },
  );
}
