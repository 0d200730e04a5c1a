/**
 * The three SSM parameters of one environment: names from the contract, types, and values from the
 * stack settings. Pure: the stack deploys them (lib/parameters.ts), the local API and the benchmarks
 * serve exactly the same ones.
 */
import { parameterNames } from '../lambda/contract';
import { apiConfigValue, type TapStackArgs } from './config';

export interface ParameterDefinition<V> {
  name: string;
  type: 'String' | 'SecureString';
  value: V;
  description: string;
}

/** `tableName` may be a plain string or a Pulumi Output; it is the endpoint parameter's value. */
export function parameterDefinitions<T>(args: TapStackArgs, tableName: T) {
  const names = parameterNames(args.environmentSuffix);
  const config: ParameterDefinition<string> = {
    name: names.config,
    type: 'String',
    value: JSON.stringify(apiConfigValue(args)),
    description: 'Tracking API runtime config (max_request_size, timeout, rate_limit)',
  };
  // A SecureString: policy treats anything named *endpoint* as sensitive.
  const endpoint: ParameterDefinition<T> = {
    name: names.endpoint,
    type: 'SecureString',
    value: tableName,
    description: 'Tracking table name',
  };
  const flags: ParameterDefinition<string> = {
    name: names.flags,
    type: 'String',
    value: JSON.stringify(args.featureFlags),
    description: 'Tracking API feature flags',
  };
  return { config, endpoint, flags };
}
