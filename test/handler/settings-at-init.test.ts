/**
 * SSM is read on the first request that needs the settings, never at init. Prefetching at init was
 * tried for issue 5 (performance): no gain with an instant SSM, and in Lambda the tracer-captured SSM
 * client would run outside any invocation, so X-Ray logs "Missing AWS Lambda trace data" on every
 * cold start and the calls go untraced.
 */
import { createHandler } from '../../lambda/app';
import {
  PARAMETERS,
  captureOutput,
  getStatusEvent,
  invoke,
  postTrackEvent,
  startTestAws,
  validUpdate,
  type TestAws,
} from '../helpers/handler-harness';

let aws: TestAws;

beforeAll(async () => {
  aws = await startTestAws();
});
afterAll(async () => {
  await aws.close();
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.reset();
});

it('does not read SSM when the handler is built, nor for GET /status; the first POST reads both parameters', async () => {
  captureOutput();
  const ssm = aws.setParameters();
  const handler = createHandler(aws.env);
  await new Promise((resolve) => setImmediate(resolve));
  expect(ssm.calls).toEqual([]);

  await invoke(handler, getStatusEvent({ tracking_id: 'SETTINGS-NONE' }));
  expect(ssm.calls).toEqual([]);

  expect((await invoke(handler, postTrackEvent(validUpdate('SETTINGS-1')))).statusCode).toBe(200);
  expect(ssm.calls.sort()).toEqual([PARAMETERS.config, PARAMETERS.flags].sort());
});
