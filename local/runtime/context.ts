/**
 * The Lambda context object a handler receives, built in one place for the local runtime's execution
 * environments (which add the methods inside the worker: functions do not cross threads), the
 * in-process handler tests and the benchmark.
 */
import type { Context } from 'aws-lambda';
import { randomUUID } from 'crypto';
import type { FunctionDefinition } from '../../lib/functions';

/** The context's plain data (what Lambda fills in per invocation). */
export type ContextFields = Omit<Context, 'getRemainingTimeInMillis' | 'done' | 'fail' | 'succeed'>;

export function contextFields(
  definition: Pick<FunctionDefinition<unknown>, 'name' | 'memoryMb' | 'logGroup'>,
  invocation: { requestId?: string; region?: string; accountId?: string; logStream?: string } = {},
): ContextFields {
  const region = invocation.region ?? 'us-west-2';
  const accountId = invocation.accountId ?? '123456789012';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: definition.name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${definition.name}`,
    memoryLimitInMB: String(definition.memoryMb),
    awsRequestId: invocation.requestId ?? randomUUID(),
    logGroupName: definition.logGroup,
    logStreamName: invocation.logStream ?? `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]local`,
  };
}

/** A full context whose clock runs down from `remainingMs` (the function's timeout, when not given). */
export function lambdaContext(fields: ContextFields, remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    ...fields,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
