/**
 * The handler factory: Powertools wiring and routing only (handler.ts is the Lambda entry).
 *
 * Everything expensive happens once, at init: the DynamoDB and SSM clients (standard retries, short
 * timeouts, captured by the tracer), Logger, Tracer and Metrics; the validators are Ajv code compiled
 * at build time (lambda/generated/). The SQS client is created on the first parked update only.
 * Endpoints come from the SDK's own environment variables, so this exact bundle runs on AWS and
 * behind the local API.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { awsClientConfig } from './aws-clients';
import { FUNCTION_ENV, METRICS, ROUTES } from './contract';
import { readRuntimeEnv } from './env';
import { instrumentation, ssmSettings } from './instrumentation';
import { IdempotencyStore } from './idempotency';
import { UpdateIntake } from './intake';
import { StatusListing } from './listing';
import { ParkingQueue } from './park';
import { toApiRequest } from './request';
import { RequestError, errorResponse } from './responses';
import { getShipments } from './routes/shipments';
import { getStatus } from './routes/status';
import { postTrack } from './routes/track';
import { TrackingStore } from './store';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const ROUTE_TABLE = Object.values(ROUTES);

function normalisePath(path: string | undefined): string | undefined {
  return path && path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Builds one handler instance (clients, caches, Powertools) from an environment. */
export function createHandler(env: NodeJS.ProcessEnv = process.env): Handler {
  const runtime = readRuntimeEnv(env);
  const { logger, metrics, tracer, dynamo, documents, count } = instrumentation(runtime);
  const store = runtime.tableName ? new TrackingStore(documents, runtime.tableName) : undefined;
  const listing = runtime.tableName
    ? new StatusListing(documents, runtime.tableName, runtime.statusShardCount)
    : undefined;
  const settings = ssmSettings(
    { tracer, logger },
    { configParameter: runtime.configParameter, flagsParameter: runtime.flagsParameter },
    () => count(METRICS.configFallback),
  );
  const parking = new ParkingQueue(runtime.queueUrl, {
    clientConfig: awsClientConfig(),
    instrument: (client) => tracer.captureAWSv3Client(client),
  });
  const idempotency = runtime.idempotencyTableName
    ? new IdempotencyStore(dynamo, runtime.idempotencyTableName)
    : undefined;
  const intake = store
    ? new UpdateIntake({
        store,
        parking,
        environment: runtime.environment,
        count,
        logger,
      })
    : undefined;
  // Annotations only when this invocation has a subsegment (not outside Lambda, nor without a trace).
  let tracing = false;
  const annotate = (trackingId: string) => {
    if (tracing) tracer.putAnnotation('tracking_id', trackingId);
  };

  async function route(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
    const request = toApiRequest(event, context);
    const paths = [normalisePath(event.resource), normalisePath(event.path)];
    const matched = ROUTE_TABLE.find((candidate) => paths.includes(candidate.path));
    if (!matched) throw new RequestError(404, `no route for ${event.path ?? event.resource ?? '(no path)'}`);
    if (request.method !== matched.method) {
      throw new RequestError(
        405,
        `method ${request.method || '(none)'} is not allowed on ${matched.path}; use ${matched.method}`,
        undefined,
        {
          Allow: matched.method,
        },
      );
    }
    if (!store || !intake || !listing) {
      throw new Error(`the function has no table configured (${FUNCTION_ENV.tableName})`);
    }
    if (matched === ROUTES.track || matched === ROUTES.trackBatch) {
      idempotency?.registerContext(context);
      const route = matched === ROUTES.track ? 'track' : 'trackBatch';
      return postTrack(route, request, { intake, settings: () => settings.current(), annotate, idempotency });
    }
    if (matched === ROUTES.shipments) return getShipments(request, { listing, count, logger });
    return getStatus(request, { store, count, logger, annotate });
  }

  return async function handler(event, context) {
    const started = Date.now();
    const requestId = event?.requestContext?.requestId || context?.awsRequestId || 'unknown';
    logger.resetKeys();
    if (context) logger.addContext(context);
    logger.setCorrelationId(requestId);
    metrics.captureColdStartMetric(context?.functionName);

    const segment = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = segment?.addNewSubsegment('## index.handler');
    tracing = subsegment !== undefined;
    if (subsegment) {
      tracer.setSegment(subsegment);
      tracer.annotateColdStart();
      tracer.addServiceNameAnnotation();
    }

    let response: APIGatewayProxyResult;
    try {
      response = await route(event, context);
    } catch (error) {
      if (error instanceof RequestError) {
        count(METRICS.validationFailure);
        response = errorResponse(error.statusCode, error.message, requestId, {
          details: error.details,
          headers: error.headers,
        });
      } else {
        logger.error('unhandled error', error instanceof Error ? error : new Error(String(error)));
        if (tracing) tracer.addErrorAsMetadata(error as Error);
        count(METRICS.unhandledError);
        response = errorResponse(500, 'internal error', requestId);
      }
    } finally {
      subsegment?.close();
      if (segment) tracer.setSegment(segment);
    }
    logger.info('request completed', {
      method: event?.httpMethod,
      path: event?.path,
      status_code: response.statusCode,
      duration_ms: Date.now() - started,
    });
    metrics.publishStoredMetrics();
    return response;
  };
}
