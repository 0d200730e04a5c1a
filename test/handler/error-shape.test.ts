/**
 * One error shape: every error the function answers, on every path that answers one, is exactly
 * `{"error", "details"?: [{"field", "message"}], "request_id"}` (ERROR_RESPONSE_SCHEMA, the schema
 * openapi.json publishes), with the request's id. The gateway's own answers are held to the same
 * shape in test/local/gateway-templates.test.ts.
 *
 * One case per place in lambda/ that answers an error (RequestError, errorResponse,
 * unavailableResponse); the last test counts those places, so a new one without a case here fails.
 */
import Ajv from 'ajv-draft-04';
import * as fs from 'fs';
import * as path from 'path';
import { createHandler } from '../../lambda/app';
import { IDEMPOTENCY, LIMITS } from '../../lambda/contract';
import { ERROR_RESPONSE_SCHEMA } from '../../lambda/contract-responses';
import {
  apiEvent,
  captureOutput,
  getStatusEvent,
  invoke,
  postBatchEvent,
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
beforeEach(() => {
  captureOutput();
  aws.setParameters();
});
afterEach(() => {
  jest.restoreAllMocks();
  aws.reset();
});

const validError = new Ajv({ allErrors: true, strict: false }).compile(ERROR_RESPONSE_SCHEMA);
const json = { 'Content-Type': 'application/json' };
const keyed = (key: string) => ({ headers: { ...json, [IDEMPOTENCY.header]: key } });
const failTrackingWrites = () =>
  aws.local.faults.add({
    service: 'dynamodb',
    operation: 'PutItem',
    error: 'ProvisionedThroughputExceededException',
    match: (input: Record<string, unknown>) => input.TableName === aws.tableName,
  });

interface ErrorCase {
  name: string;
  status: number;
  /** Runs the request (after any setup); the harness's env unless `env` says otherwise. */
  run: (handler: ReturnType<typeof createHandler>) => ReturnType<typeof invoke>;
  env?: () => NodeJS.ProcessEnv;
  expectDetails: boolean;
}

const CASES: ErrorCase[] = [
  // lambda/app.ts
  {
    name: 'unknown route (404)',
    status: 404,
    expectDetails: false,
    run: (h) => invoke(h, apiEvent('GET', '/nowhere', null, null, { requestId: 'rid' })),
  },
  {
    name: 'wrong method (405)',
    status: 405,
    expectDetails: false,
    run: (h) => invoke(h, apiEvent('DELETE', '/track', null, null, { requestId: 'rid' })),
  },
  {
    name: 'no table configured (500)',
    status: 500,
    expectDetails: false,
    env: () => ({ ...aws.env, TABLE_NAME: '' }),
    run: (h) => invoke(h, postTrackEvent(validUpdate('ES-500'), { requestId: 'rid' })),
  },
  // lambda/request.ts
  {
    name: 'media type (415)',
    status: 415,
    expectDetails: false,
    run: (h) => invoke(h, postTrackEvent('x', { requestId: 'rid', headers: { 'Content-Type': 'text/plain' } })),
  },
  {
    name: 'charset (415)',
    status: 415,
    expectDetails: false,
    run: (h) =>
      invoke(
        h,
        postTrackEvent('{}', { requestId: 'rid', headers: { 'Content-Type': 'application/json; charset=latin1' } }),
      ),
  },
  {
    name: 'empty body (400)',
    status: 400,
    expectDetails: false,
    run: (h) => invoke(h, postTrackEvent('', { requestId: 'rid' })),
  },
  {
    name: 'body too large (413)',
    status: 413,
    expectDetails: false,
    run: (h) =>
      invoke(h, postTrackEvent(JSON.stringify({ pad: 'x'.repeat(LIMITS.dynamoItemMaxBytes) }), { requestId: 'rid' })),
  },
  {
    name: 'not JSON (400)',
    status: 400,
    expectDetails: true,
    run: (h) => invoke(h, postTrackEvent('{nope', { requestId: 'rid' })),
  },
  // lambda/idempotency.ts
  {
    name: 'malformed Idempotency-Key (400)',
    status: 400,
    expectDetails: true,
    run: (h) => invoke(h, postTrackEvent(validUpdate('ES-K'), { requestId: 'rid', ...keyed('') })),
  },
  // lambda/routes/track.ts
  {
    name: 'invalid update (400)',
    status: 400,
    expectDetails: true,
    run: (h) =>
      invoke(
        h,
        postTrackEvent({ tracking_id: '', status: 'lost', location: { lat: 97, lng: 1 } }, { requestId: 'rid' }),
      ),
  },
  {
    name: 'batch sent to /track (400)',
    status: 400,
    expectDetails: true,
    run: (h) => invoke(h, postTrackEvent({ updates: [validUpdate('ES-B')] }, { requestId: 'rid' })),
  },
  {
    name: 'batch processing off (400)',
    status: 400,
    expectDetails: true,
    run: (h) => {
      aws.setParameters({ batch_processing: false });
      return invoke(h, postBatchEvent([validUpdate('ES-OFF')], { requestId: 'rid' }));
    },
  },
  {
    name: 'single update sent to /track/batch (400)',
    status: 400,
    expectDetails: true,
    run: (h) => invoke(h, postBatchEvent(validUpdate('ES-S'), { requestId: 'rid' })),
  },
  {
    name: 'Idempotency-Key in progress (409)',
    status: 409,
    expectDetails: true,
    run: async (h) => {
      // The first request holds the key while its write is slowed down.
      const slow = aws.local.faults.add({
        service: 'dynamodb',
        operation: 'PutItem',
        latencyMs: 400,
        match: (input: Record<string, unknown>) => input.TableName === aws.tableName,
      });
      const first = invoke(h, postTrackEvent(validUpdate('ES-409'), keyed('es-409')));
      await new Promise((resolve) => setTimeout(resolve, 150));
      const second = await invoke(h, postTrackEvent(validUpdate('ES-409'), { requestId: 'rid', ...keyed('es-409') }));
      await first;
      slow();
      return second;
    },
  },
  {
    name: 'Idempotency-Key reused with another body (422)',
    status: 422,
    expectDetails: true,
    run: async (h) => {
      await invoke(h, postTrackEvent(validUpdate('ES-422'), keyed('es-422')));
      return invoke(
        h,
        postTrackEvent(validUpdate('ES-422', { status: 'failed' }), { requestId: 'rid', ...keyed('es-422') }),
      );
    },
  },
  {
    name: 'idempotency records unavailable (503)',
    status: 503,
    expectDetails: false,
    run: (h) => {
      aws.local.faults.add({
        service: 'dynamodb',
        operation: 'PutItem',
        error: 'ProvisionedThroughputExceededException',
        match: (input: Record<string, unknown>) => input.TableName !== aws.tableName,
      });
      return invoke(h, postTrackEvent(validUpdate('ES-IDEM'), { requestId: 'rid', ...keyed('es-idem') }));
    },
  },
  {
    name: 'update neither stored nor parked (503)',
    status: 503,
    expectDetails: false,
    run: (h) => {
      failTrackingWrites();
      aws.fault('sqs:SendMessage=ServiceUnavailable');
      return invoke(h, postTrackEvent(validUpdate('ES-503'), { requestId: 'rid' }));
    },
  },
  {
    name: 'batch partly neither stored nor parked (503)',
    status: 503,
    expectDetails: true,
    run: (h) => {
      failTrackingWrites();
      aws.fault('sqs:SendMessage=ServiceUnavailable');
      return invoke(h, postBatchEvent([validUpdate('ES-B503')], { requestId: 'rid' }));
    },
  },
  // lambda/routes/status.ts
  {
    name: 'GET /status invalid query (400)',
    status: 400,
    expectDetails: true,
    run: (h) => invoke(h, getStatusEvent({ tracking_id: 'X', limit: '0' }, { requestId: 'rid' })),
  },
  {
    name: 'GET /status repeated parameter (400)',
    status: 400,
    expectDetails: true,
    run: (h) => invoke(h, getStatusEvent({}, { requestId: 'rid', multiValueQuery: { tracking_id: ['A', 'B'] } })),
  },
  {
    name: 'GET /status unknown shipment (404)',
    status: 404,
    expectDetails: false,
    run: (h) => invoke(h, getStatusEvent({ tracking_id: 'ES-NONE' }, { requestId: 'rid' })),
  },
  {
    name: 'GET /status unavailable (503)',
    status: 503,
    expectDetails: false,
    run: (h) => {
      aws.fault('dynamodb:Query=ProvisionedThroughputExceededException');
      return invoke(h, getStatusEvent({ tracking_id: 'ES-Q' }, { requestId: 'rid' }));
    },
  },
  // lambda/routes/shipments.ts
  {
    name: 'GET /shipments repeated parameter (400)',
    status: 400,
    expectDetails: true,
    run: (h) =>
      invoke(
        h,
        apiEvent('GET', '/shipments', null, null, {
          requestId: 'rid',
          multiValueQuery: { status: ['pending', 'failed'] },
        }),
      ),
  },
  {
    name: 'GET /shipments invalid query (400)',
    status: 400,
    expectDetails: true,
    run: (h) => invoke(h, apiEvent('GET', '/shipments', null, { status: 'lost' }, { requestId: 'rid' })),
  },
  {
    name: 'GET /shipments bad cursor (400)',
    status: 400,
    expectDetails: true,
    run: (h) =>
      invoke(h, apiEvent('GET', '/shipments', null, { status: 'pending', cursor: 'djEu' }, { requestId: 'rid' })),
  },
  {
    name: 'GET /shipments unavailable (503)',
    status: 503,
    expectDetails: false,
    run: (h) => {
      aws.fault('dynamodb:Query=ProvisionedThroughputExceededException');
      return invoke(h, apiEvent('GET', '/shipments', null, { status: 'pending' }, { requestId: 'rid' }));
    },
  },
];

describe('every error the function answers has the one error shape', () => {
  it.each(CASES)('$name', async ({ status, run, env, expectDetails }) => {
    const handler = createHandler(env ? env() : aws.env);
    const answer = await run(handler);
    expect(answer.statusCode).toBe(status);
    expect([answer.body, validError(answer.body) ? [] : validError.errors]).toEqual([answer.body, []]);
    expect(answer.body.request_id).toBe('rid');
    expect(answer.body.details !== undefined).toBe(expectDetails);
    expect(answer.headers['Content-Type']).toBe('application/json');
  });
});

it('has a case for every place in lambda/ that answers an error', () => {
  const lambdaDir = path.join(__dirname, '..', '..', 'lambda');
  const sites = fs
    .readdirSync(lambdaDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.startsWith('generated') && file !== 'responses.ts')
    .flatMap(
      (file) =>
        fs
          .readFileSync(path.join(lambdaDir, file), 'utf8')
          .match(/new RequestError\(|errorResponse\(|unavailableResponse\(/g) ?? [],
    );
  // One case per site, but app.ts's errorResponse for a RequestError, which renders the others.
  expect(CASES.length).toBe(sites.length - 1);
});
