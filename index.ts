/**
 * The Pulumi program: stack config -> TapStack -> flat stack outputs.
 *
 * Exported as a function, which Pulumi runs: each call is a complete, fresh run of the program, so
 * the offline synth (scripts/synth.ts) can run it for several stacks in one process.
 */
import * as pulumi from '@pulumi/pulumi';
import { resolveStackArgs } from './lib/config';
import { TapStack, type StackOutputs } from './lib/tap-stack';

function program(): StackOutputs {
  const config = new pulumi.Config('tap');
  // ENVIRONMENT_SUFFIX wins over tap:environmentSuffix; bad values throw a ConfigError naming the key.
  const args = resolveStackArgs((key) => config.get(key));
  return new TapStack('tap', args).outputs;
}

export = program;
