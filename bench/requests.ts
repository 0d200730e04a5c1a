/**
 * What the benchmark's invocations send, the same for ours and the baselines of each function, and
 * what the child runner (invoke.ts) needs to invoke a bundle like Lambda does. Imported by the child:
 * keep it free of anything heavy (its load time is part of every cold start measured).
 *
 * POSTs and GETs use different shipments: GET /status reads exactly one item (seeded by
 * function-env.ts), GET /shipments lists LISTED_SHIPMENTS seeded state records, however many updates
 * the POSTs of the run have stored. The consumer's batches are of new shipments each time, so every
 * record is a new state and a transition (one UpdateItem each, one PutEvents per batch).
 */
import type { FunctionDefinition } from '../lib/functions';
import type { FunctionKey } from '../lib/names';

/** Seeded before the run; every GET /status reads it (and only it). */
export const GET_TRACKING_ID = 'BENCH-1';
/** Every POST /track stores one more update of this shipment. */
const POST_TRACKING_ID = 'BENCH-POST';
/** GET /shipments lists this status; its state records are seeded, more than a page of them. */
export const SHIPMENTS_STATUS = 'in_transit';
export const LISTED_SHIPMENTS = 40;
export const SHIPMENTS_PAGE = 20;
/** Records per consumer batch (the size the issue measures; one PutEvents takes 10 entries). */
export const CONSUMER_BATCH_RECORDS = 10;

export const POST_BODY = JSON.stringify({
  tracking_id: POST_TRACKING_ID,
  status: 'in_transit',
  location: { lat: 47.6, lng: -122.3 },
});

/** The child's `<setup>` argument (JSON): which function, the function as Lambda knows it, and where it runs. */
export interface InvokeSetup {
  kind: FunctionKey;
  definition: Pick<FunctionDefinition<unknown>, 'name' | 'memoryMb' | 'logGroup' | 'timeoutSeconds'>;
  region: string;
  accountId: string;
  /** The API Gateway stage the events come through. */
  stage: string;
}

/** What each function's benchmark invocations are: the API function's three routes, the consumer's batches of 10. */
export const OPERATIONS = {
  api: ['post', 'status', 'shipments'],
  consumer: ['batch'],
} as const satisfies Record<FunctionKey, readonly string[]>;
export type Operation = (typeof OPERATIONS)[FunctionKey][number];

/** A serving child's commands (invoke.ts), one JSON line each. */
export type Command = { warmup: number } | { rate: Operation; ms: number } | { latency: Operation; requests: number };
