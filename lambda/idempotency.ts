/**
 * `Idempotency-Key` on the POST routes, with Powertools Idempotency (DynamoDB persistence, records
 * expiring after IDEMPOTENCY.ttlSeconds, the table's TTL removing them).
 *
 * The record's key is the caller's ARN and the key (two carriers may well pick the same key); the
 * validation hash covers the route and the parsed body, so the same key with another body, or on the
 * other POST route, is a conflict (422), not a replay. Only answers that stored or parked every
 * update are remembered: a 503 deletes the record, and the client's retry runs again.
 */
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyPersistenceLayerError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { IDEMPOTENCY, OBSERVABILITY } from './contract';
import type { ApiRequest } from './request';
import { RequestError } from './responses';

/** What a record is keyed and validated on (the first argument: Powertools hashes it). */
interface IdempotentRequest {
  key: string;
  request: { route: string; body: unknown };
}

/** The work did not store every update: its answer (a 503) is given, and not remembered. */
class NotRemembered extends Error {
  constructor(readonly response: APIGatewayProxyResult) {
    super('the answer is not remembered');
  }
}

export type IdempotencyOutcome =
  | { kind: 'answered'; response: APIGatewayProxyResult }
  /** The same key is being served by another request right now. */
  | { kind: 'in-progress' }
  /** The key was used before with another body (or route). */
  | { kind: 'conflict' }
  /** The record store refused; nothing was stored. */
  | { kind: 'unavailable'; error: unknown };

const VALID_KEY = new RegExp(IDEMPOTENCY.pattern);

/** The header's value; undefined when absent; RequestError 400 when malformed. */
export function idempotencyKey(request: ApiRequest): string | undefined {
  const value = request.headers[IDEMPOTENCY.header.toLowerCase()];
  if (value === undefined) return undefined;
  const valid = value.length >= IDEMPOTENCY.minLength && value.length <= IDEMPOTENCY.maxLength && VALID_KEY.test(value);
  if (!valid) {
    throw new RequestError(400, `invalid ${IDEMPOTENCY.header} header`, [
      {
        field: IDEMPOTENCY.header,
        message: `must be ${IDEMPOTENCY.minLength} to ${IDEMPOTENCY.maxLength} printable ASCII characters (space to ~)`,
      },
    ]);
  }
  return value;
}

export class IdempotencyStore {
  private readonly config: IdempotencyConfig;
  private readonly remembered: (
    request: IdempotentRequest,
    work: () => Promise<APIGatewayProxyResult>,
  ) => Promise<APIGatewayProxyResult>;

  constructor(client: DynamoDBClient, tableName: string) {
    const persistenceStore = new DynamoDBPersistenceLayer({
      tableName,
      awsSdkV3Client: client,
      keyAttr: IDEMPOTENCY.table.hashKey,
      expiryAttr: IDEMPOTENCY.table.ttlAttribute,
    });
    this.config = new IdempotencyConfig({
      eventKeyJmesPath: 'key',
      payloadValidationJmesPath: 'request',
      throwOnNoIdempotencyKey: true,
      expiresAfterSeconds: IDEMPOTENCY.ttlSeconds,
      hashFunction: 'sha256',
      responseHook: (response) => {
        const replay = response as unknown as APIGatewayProxyResult;
        return { ...replay, headers: { ...replay.headers, [IDEMPOTENCY.replayedHeader]: 'true' } };
      },
    });
    this.remembered = makeIdempotent(
      async (_request: IdempotentRequest, work: () => Promise<APIGatewayProxyResult>) => work(),
      {
        persistenceStore,
        config: this.config,
        keyPrefix: OBSERVABILITY.serviceName,
      },
    );
  }

  /**
   * Bounds an in-progress record by the invocation's remaining time: a request whose function dies
   * mid-way blocks its key until then, not for the records' whole lifetime.
   */
  registerContext(context: Context | undefined): void {
    if (context && typeof context.getRemainingTimeInMillis === 'function') this.config.registerLambdaContext(context);
  }

  /**
   * Runs `work` once per (caller, key): a repeat gets the first answer, marked replayed. `work`
   * answers `remember: false` when its answer must not be replayed (not every update was kept).
   */
  async run(
    scope: { callerArn?: string; key: string; route: string; body: unknown },
    work: () => Promise<{ response: APIGatewayProxyResult; remember: boolean }>,
  ): Promise<IdempotencyOutcome> {
    let produced: APIGatewayProxyResult | undefined;
    const request = {
      key: `${scope.callerArn ?? 'anonymous'} ${scope.key}`,
      request: { route: scope.route, body: scope.body },
    };
    try {
      const response = await this.remembered(request, async () => {
        const { response, remember } = await work();
        produced = response;
        if (!remember) throw new NotRemembered(response);
        return response;
      });
      return { kind: 'answered', response };
    } catch (error) {
      if (error instanceof NotRemembered) return { kind: 'answered', response: error.response };
      if (error instanceof IdempotencyAlreadyInProgressError) return { kind: 'in-progress' };
      if (error instanceof IdempotencyValidationError) return { kind: 'conflict' };
      // The work ran (its updates are kept) but its record could not be completed or deleted: the
      // answer is still true; a retry may run the work again once the in-progress record expires.
      if (produced !== undefined) return { kind: 'answered', response: produced };
      if (error instanceof IdempotencyPersistenceLayerError) return { kind: 'unavailable', error };
      throw error;
    }
  }
}
