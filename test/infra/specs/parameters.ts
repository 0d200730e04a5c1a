/** SSM: the function's config, the table "endpoint" (SecureString) and the feature flags. */
import { TYPES, inputs, ofType } from '../helpers';
import type { Synths } from './synths';

export function parametersSpec(s: Synths): void {
  it("are exactly this environment's three parameters, named as the contract says", () => {
    expect(
      ofType(s.dev, TYPES.parameter)
        .map((p) => [p.inputs.name, p.inputs.type])
        .sort(),
    ).toEqual([
      ['/logistics/api/dev/config', 'String'],
      ['/logistics/db/dev/endpoint', 'SecureString'],
      ['/logistics/features/dev/flags', 'String'],
    ]);
  });

  it('config holds max_request_size, timeout, rate_limit and max_event_age_days from stack config', () => {
    expect(JSON.parse(inputs(s.dev, TYPES.parameter, 'tap-config-parameter').value)).toEqual({
      max_request_size: 10240,
      timeout: 10,
      rate_limit: 100,
      max_event_age_days: 30,
    });
    expect(JSON.parse(inputs(s.variant, TYPES.parameter, 'tap-config-parameter').value)).toEqual({
      max_request_size: 2048,
      timeout: 20,
      rate_limit: 50,
      max_event_age_days: 7,
    });
  });

  it('endpoint is a SecureString holding the table name', () => {
    const endpoint = inputs(s.dev, TYPES.parameter, 'tap-endpoint-parameter');
    expect(endpoint.type).toBe('SecureString');
    expect(endpoint.value).toBe('tracking-updates-dev');
  });

  it('flags hold the three feature flags from stack config', () => {
    expect(JSON.parse(inputs(s.dev, TYPES.parameter, 'tap-flags-parameter').value)).toEqual({
      enhanced_tracking: true,
      batch_processing: true,
      real_time_notifications: false,
    });
    expect(JSON.parse(inputs(s.variant, TYPES.parameter, 'tap-flags-parameter').value)).toEqual({
      enhanced_tracking: false,
      batch_processing: false,
      real_time_notifications: true,
    });
  });
}
