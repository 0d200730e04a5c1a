/** Flat stack outputs, and what the synth harness promises (realistic values, CLI arguments, errors). */
import { ConfigError } from '../../../lib/config';
import { parseSynthArgs as parseArgs, synthesize, type SynthResult } from '../../../scripts/synth';
import type { Synths } from './synths';

/** Every string anywhere in a value. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

const arns = (synth: SynthResult) =>
  strings(synth.resources.map((r) => r.inputs)).flatMap((text) => text.match(/arn:aws:[^"\s,\]]+/g) ?? []);

export function outputsSpec(s: Synths): void {
  it('are flat strings with stable snake_case names', () => {
    const apiId = s.dev.outputs.api_id as string;
    expect(apiId).toMatch(/^[a-z0-9]{10}$/);
    expect(s.dev.outputs).toEqual({
      api_endpoint: `https://${apiId}.execute-api.us-west-2.amazonaws.com/dev`,
      api_id: apiId,
      stage_name: 'dev',
      region: 'us-west-2',
      table_name: 'tracking-updates-dev',
      table_arn: 'arn:aws:dynamodb:us-west-2:123456789012:table/tracking-updates-dev',
      status_index_name: 'StatusIndex',
      idempotency_table_name: 'tracking-idempotency-dev',
      lambda_function_name: 'tracking-api-dev',
      log_group_name: '/aws/lambda/tracking-api-dev',
      consumer_function_name: 'tracking-projection-dev',
      parked_queue_url: 'https://sqs.us-west-2.amazonaws.com/123456789012/tracking-parked-updates-dev',
      // Deprecated alias of parked_queue_url (index.ts), kept for one release.
      dlq_url: 'https://sqs.us-west-2.amazonaws.com/123456789012/tracking-parked-updates-dev',
      queue_arn: 'arn:aws:sqs:us-west-2:123456789012:tracking-parked-updates-dev',
      function_dlq_url: 'https://sqs.us-west-2.amazonaws.com/123456789012/tracking-api-dlq-dev',
      stream_failure_queue_url: 'https://sqs.us-west-2.amazonaws.com/123456789012/tracking-projection-failures-dev',
      config_parameter_name: '/logistics/api/dev/config',
      endpoint_parameter_name: '/logistics/db/dev/endpoint',
      flags_parameter_name: '/logistics/features/dev/flags',
      event_bus_name: 'tracking-events-dev',
      event_bus_arn: 'arn:aws:events:us-west-2:123456789012:event-bus/tracking-events-dev',
      alarm_topic_arn: 'arn:aws:sns:us-west-2:123456789012:tracking-api-alarms-dev',
      dashboard_url:
        'https://us-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2#dashboards:name=tracking-api-dev',
    });
  });

  it("the endpoint is the stage's invoke URL in the configured region", () => {
    const apiId = s.variant.outputs.api_id as string;
    expect(s.variant.outputs.api_endpoint).toBe(`https://${apiId}.execute-api.eu-central-1.amazonaws.com/qa1`);
    expect(s.variant.outputs.api_id).not.toBe(s.dev.outputs.api_id);
  });

  it("computed ARNs are realistic: account 123456789012, the stack's region", () => {
    for (const [synth, region] of [
      [s.dev, 'us-west-2'],
      [s.variant, 'eu-central-1'],
    ] as const) {
      const found = arns(synth);
      expect(found.length).toBeGreaterThan(20);
      for (const arn of found) {
        // arn:aws:<service>:<region>:<account>:... (IAM is global; AWS-managed policies have no account)
        expect(arn).toMatch(
          new RegExp(`^arn:aws:(iam::(123456789012|aws):|apigateway:${region}:|[a-z-]+:${region}:123456789012:)`),
        );
      }
    }
  });

  it('records the function code compactly, as {file: {sha256, bytes}}', () => {
    const functions = s.dev.resources.filter((r) => r.type === 'aws:lambda/function:Function');
    expect(functions).toHaveLength(2);
    for (const fn of functions) {
      expect(fn.inputs.code).toEqual({
        'index.mjs': { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number) },
      });
    }
  });

  it('gives an event source mapping the id Lambda gives it: a UUID, distinct per stack', () => {
    const mapping = s.dev.resources.find((r) => r.type === 'aws:lambda/eventSourceMapping:EventSourceMapping')!;
    expect(mapping.id).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/);
    expect(mapping.id).not.toBe(
      s.variant.resources.find((r) => r.type === 'aws:lambda/eventSourceMapping:EventSourceMapping')!.id,
    );
  });

  it('bad stack config fails the program with a ConfigError naming the key', async () => {
    const run = synthesize({ stack: 'dev', env: {}, config: { 'tap:lambdaTimeout': 29 } });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow(/tap:lambdaTimeout must be an integer from 1 to 28/);
  });

  it('a bad environment suffix fails the program with a ConfigError', async () => {
    await expect(synthesize({ stack: 'dev', env: { ENVIRONMENT_SUFFIX: 'PR_7' } })).rejects.toThrow(ConfigError);
  });

  it('an unknown stack is an error', async () => {
    await expect(synthesize({ stack: 'nope', env: {} })).rejects.toThrow(/no stack config file .*Pulumi\.nope\.yaml/);
  });

  describe('command line', () => {
    it('takes --stack and an optional --out', () => {
      expect(parseArgs(['--stack', 'dev'])).toEqual({ stack: 'dev', out: undefined });
      expect(parseArgs(['--stack', 'dev', '--out', 'synth.json'])).toEqual({ stack: 'dev', out: 'synth.json' });
    });

    it('refuses a missing stack, a missing value, or an unknown argument', () => {
      expect(() => parseArgs([])).toThrow('--stack is required');
      expect(() => parseArgs(['--stack'])).toThrow('--stack needs a value');
      expect(() => parseArgs(['--stack', '--out', 'x'])).toThrow('--stack needs a value');
      expect(() => parseArgs(['--stack', 'dev', '--verbose'])).toThrow('unknown argument "--verbose"');
    });
  });
}
