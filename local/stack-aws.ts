/**
 * The local AWS of one stack: the resources the stack would create for its settings (the tracking
 * table, the idempotency table, the queues, the SSM parameters with their values, the event bus), on the local services,
 * and the stack's function descriptions pointing at them. What `npm start`, the handler tests and the benchmark run on.
 */
import { parameterNames } from '../lambda/contract';
import type { TapStackArgs } from '../lib/config';
import { functionDefinitions, type FunctionDefinition } from '../lib/functions';
import { resourceNames, type FunctionKey } from '../lib/names';
import { parameterDefinitions } from '../lib/parameter-definitions';
import { startLocalAws, type LocalAws } from './aws';
import type { LocalEvent } from './aws/eventbridge';

export interface StackAws {
  aws: LocalAws;
  tableName: string;
  idempotencyTableName: string;
  queueUrl: string;
  /** The stream consumer's failure queue (the event source mapping's on-failure destination). */
  failureQueueUrl: string;
  /** The API function's own dead-letter queue (nothing invokes it asynchronously locally: it stays empty). */
  functionDeadLetterQueueUrl: string;
  /** The stack's custom EventBridge bus (status-change events). */
  eventBusName: string;
  /** Every function of the stack, its environment naming these local resources. */
  definitions: Record<FunctionKey, FunctionDefinition<string>>;
  close(): Promise<void>;
}

export async function startStackAws(
  args: TapStackArgs,
  options: {
    region: string;
    dataDir?: string;
    faults?: string[];
    /** Every event the stack's bus accepts, as it accepts it. */
    onEvent?: (event: LocalEvent) => void;
  },
): Promise<StackAws> {
  const names = resourceNames(args.environmentSuffix);
  const parameters = parameterNames(args.environmentSuffix);
  const aws = await startLocalAws({
    region: options.region,
    tables: [names.table],
    idempotencyTables: [names.idempotencyTable],
    queues: [names.queue, names.functionDeadLetterQueue, names.streamFailureQueue],
    buses: [names.eventBus],
    onEvent: options.onEvent,
    parameters: Object.fromEntries(
      Object.values(parameterDefinitions(args, names.table)).map((p) => [p.name, { value: p.value, type: p.type }]),
    ),
    dataDir: options.dataDir,
    faults: options.faults,
  });
  const queueUrl = aws.sqs.queue(names.queue).url;
  const definitions = functionDefinitions(args, {
    tableName: names.table,
    idempotencyTableName: names.idempotencyTable,
    queueUrl,
    configParameter: parameters.config,
    flagsParameter: parameters.flags,
    eventBusName: names.eventBus,
  });
  const failureQueueUrl = aws.sqs.queue(names.streamFailureQueue).url;
  return {
    aws,
    tableName: names.table,
    idempotencyTableName: names.idempotencyTable,
    queueUrl,
    failureQueueUrl,
    functionDeadLetterQueueUrl: aws.sqs.queue(names.functionDeadLetterQueue).url,
    eventBusName: names.eventBus,
    definitions,
    close: () => aws.close(),
  };
}
