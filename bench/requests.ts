/**
 * What the benchmark's invocations send, the same for ours and the baselines, and what the child
 * runner (invoke.ts) needs to invoke a bundle like Lambda does. Imported by the child: keep it
 * free of anything heavy (its load time is part of every cold start measured).
 *
 * POSTs and GETs use different shipments: GET /status reads exactly one item (the one seeded by
 * function-env.ts), however many updates the POSTs of the run have stored.
 */
import type { FunctionDefinition } from '../lib/functions';

/** Seeded before the run; every GET /status reads it (and only it). */
export const GET_TRACKING_ID = 'BENCH-1';
/** Every POST /track stores one more update of this shipment. */
const POST_TRACKING_ID = 'BENCH-POST';

export const POST_BODY = JSON.stringify({
  tracking_id: POST_TRACKING_ID,
  status: 'in_transit',
  location: { lat: 47.6, lng: -122.3 },
});

/** The child's `<setup>` argument (JSON): the function as Lambda knows it, and where it runs. */
export interface InvokeSetup {
  definition: Pick<FunctionDefinition<unknown>, 'name' | 'memoryMb' | 'logGroup' | 'timeoutSeconds'>;
  region: string;
  accountId: string;
  /** The API Gateway stage the events come through. */
  stage: string;
}
