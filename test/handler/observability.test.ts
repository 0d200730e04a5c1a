/**
 * What the function writes: JSON logs carrying the API Gateway request id as correlation id (and no
 * request bodies at INFO), EMF metrics on stdout flushed per invocation (one per outcome, the
 * cold-start metric on the first invocation only), and tracing that stays out of the way when there
 * is no X-Ray daemon.
 */
import { createHandler } from '../../lambda/app';
import { METRICS, OBSERVABILITY } from '../../lambda/contract';
import {
  captureOutput,
  emfBlobs,
  getStatusEvent,
  invoke,
  metricTotals,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type OutputCapture,
  type TestAws,
} from '../helpers/handler-harness';

let aws: TestAws;
let output: OutputCapture;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws.close();
});
beforeEach(() => {
  aws.setParameters();
  output = captureOutput();
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.reset();
  delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  delete process.env.AWS_EXECUTION_ENV;
});

/** A handler as Lambda builds it at init (on-demand initialisation: the first invocation is a cold start). */
function coldHandler(env: NodeJS.ProcessEnv = aws.env) {
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  return createHandler(env);
}

describe('EMF metrics on stdout', () => {
  it('publishes the cold-start metric once, and the outcome metric of every invocation as it ends', async () => {
    const handler = coldHandler();

    await invoke(handler, postTrackEvent(validUpdate('OBS-1')));
    const afterFirst = emfBlobs(output);
    await invoke(handler, postTrackEvent(validUpdate('OBS-1')));
    const afterSecond = emfBlobs(output);

    const coldStarts = afterSecond.filter((b) => 'ColdStart' in b);
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({
      function_name: 'tracking-api-test',
      service: OBSERVABILITY.serviceName,
      ColdStart: 1,
    });
    expect(afterFirst.filter((b) => METRICS.updateStored in b)).toHaveLength(1);
    expect(afterSecond.filter((b) => METRICS.updateStored in b)).toHaveLength(2);
    const stored = afterSecond.find((b) => METRICS.updateStored in b);
    expect(stored?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: OBSERVABILITY.metricsNamespace,
        Dimensions: [['service', 'environment']],
        Metrics: [{ Name: METRICS.updateStored, Unit: 'Count' }],
      },
    ]);
    expect(stored).toMatchObject({ service: 'tracking-api', environment: 'test' });
    // Metrics go to stdout only.
    expect(output.json('stderr').filter((l) => '_aws' in l)).toEqual([]);
  });

  it('counts one metric per outcome', async () => {
    const handler = createHandler(aws.env);
    const outcomes: [() => Promise<unknown>, string][] = [
      [() => invoke(handler, postTrackEvent(validUpdate('OBS-2'))), METRICS.updateStored],
      [() => invoke(handler, getStatusEvent({ tracking_id: 'OBS-2' })), METRICS.statusRetrieved],
      [() => invoke(handler, getStatusEvent({ tracking_id: 'OBS-NONE' })), METRICS.statusNotFound],
      [() => invoke(handler, postTrackEvent({ tracking_id: 'OBS-2' })), METRICS.validationFailure],
      [() => invoke(handler, getStatusEvent({ tracking_id: 'OBS-2', limit: '0' })), METRICS.validationFailure],
    ];
    for (const [call, metric] of outcomes) {
      output.clear();
      await call();
      expect(Object.keys(metricTotals(output))).toEqual([metric]);
    }
  });

  it('takes namespace and service from the Powertools environment variables', async () => {
    const handler = createHandler({
      ...aws.env,
      POWERTOOLS_METRICS_NAMESPACE: 'OtherNamespace',
      POWERTOOLS_SERVICE_NAME: 'other-service',
    });
    await invoke(handler, postTrackEvent(validUpdate('OBS-3')));
    const [blob] = emfBlobs(output);
    expect(blob._aws.CloudWatchMetrics[0].Namespace).toBe('OtherNamespace');
    expect(blob.service).toBe('other-service');
  });
});

describe('logs', () => {
  it('writes one JSON INFO line per request to stdout, with the API Gateway request id as correlation id', async () => {
    const handler = coldHandler();
    await invoke(handler, postTrackEvent(validUpdate('OBS-4'), { requestId: 'apigw-req-1' }));
    await invoke(handler, getStatusEvent({ tracking_id: 'OBS-4' }, { requestId: 'apigw-req-2' }));

    const completed = output.json('stdout').filter((l) => l.message === 'request completed');
    expect(completed).toEqual([
      expect.objectContaining({
        level: 'INFO',
        correlation_id: 'apigw-req-1',
        service: 'tracking-api',
        environment: 'test',
        function_name: 'tracking-api-test',
        cold_start: true,
        method: 'POST',
        path: '/track',
        status_code: 200,
      }),
      expect.objectContaining({
        level: 'INFO',
        correlation_id: 'apigw-req-2',
        cold_start: false,
        method: 'GET',
        status_code: 200,
      }),
    ]);
  });

  it('never writes the request body at INFO', async () => {
    const handler = createHandler(aws.env);
    const marker = 'BODY-MARKER-7f3a';
    await invoke(handler, postTrackEvent(validUpdate('OBS-5', { metadata: { note: marker } })));
    await invoke(handler, postTrackEvent(`{"tracking_id": "${marker}", broken`));
    expect(output.lines('stdout').length).toBeGreaterThan(0);
    expect(output.lines().join('\n')).not.toContain(marker);
  });

  it('keeps the correlation id of a request out of the next one', async () => {
    const handler = createHandler(aws.env);
    await invoke(handler, getStatusEvent({ tracking_id: 'OBS-NONE' }, { requestId: 'first-id' }));
    output.clear();
    await invoke(handler, getStatusEvent({ tracking_id: 'OBS-NONE' }, { requestId: 'second-id' }));
    expect(output.lines().join('\n')).not.toContain('first-id');
  });
});

describe('tracing', () => {
  it('stays disabled and harmless outside Lambda (no X-Ray daemon, no trace header)', async () => {
    const handler = createHandler(aws.env);
    const answer = await invoke(handler, postTrackEvent(validUpdate('OBS-6')));
    expect(answer.statusCode).toBe(200);
    expect(output.lines('stderr').join('\n')).not.toMatch(/segment|x-ray/i);
  });

  it('does not break when the environment looks like Lambda but there is no daemon or trace header', async () => {
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs22.x';
    // Powertools may say (console.warn) that it found no segment: that is all it may do.
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const handler = coldHandler({ ...aws.env, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' });
    const posted = await invoke(handler, postTrackEvent(validUpdate('OBS-7')));
    const read = await invoke(handler, getStatusEvent({ tracking_id: 'OBS-7' }));
    expect([posted.statusCode, read.statusCode]).toEqual([200, 200]);
    for (const [message] of warn.mock.calls) expect(String(message)).toMatch(/segment/i);
  });
});
