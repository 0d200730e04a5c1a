/**
 * The function's environment for benchmark runs: exactly what the local API gives it (the stack's
 * variables, Lambda's, the standard endpoint variables), for a `bench` environment whose every
 * AWS endpoint is the instant stand-in. The same for ours and for the baselines.
 */
import { resolveStackArgs } from '../lib/config';
import { resourceNames } from '../lib/names';
import { parameterDefinitions } from '../lib/parameter-definitions';
import { readStackConfigFile } from '../lib/stack-config-file';
import { functionEnvironment } from '../local/runtime/function-env';

const STACK = 'dev';
const SUFFIX = 'bench';

export function benchFunction(taskRoot: string) {
  const file = readStackConfigFile(STACK);
  const args = resolveStackArgs(file.read, { ENVIRONMENT_SUFFIX: SUFFIX });
  const region = String(file.values['aws:region'] ?? 'us-west-2');
  const names = resourceNames(SUFFIX);
  const parameters = Object.fromEntries(Object.values(parameterDefinitions(args, names.table)).map((p) => [p.name, p.value]));
  const env = (standInEndpoint: string) =>
    functionEnvironment({
      args,
      region,
      endpoints: { dynamodb: standInEndpoint, ssm: standInEndpoint, sqs: standInEndpoint },
      queueUrl: `${standInEndpoint}/123456789012/${names.queue}`,
      taskRoot,
    });
  const sampleItem = {
    tracking_id: { S: 'BENCH-1' },
    timestamp: { N: '1764000000000' },
    status: { S: 'in_transit' },
    status_shard: { S: 'in_transit#3' },
    location: { M: { lat: { N: '47.6' }, lng: { N: '-122.3' } } },
    environment: { S: SUFFIX },
    created_at: { S: '2025-11-24T16:00:00.000Z' },
  };
  return { env, parameters, sampleItem, memoryMb: args.lambdaMemory };
}
