/**
 * Projection lag as a client sees it: beside the load, a prober POSTs a fresh shipment with a status
 * the load never writes and an `event_time` of now (so it lists first), then polls GET /shipments for
 * that status until the shipment shows. A sample is the time from the POST's answer to the answer of
 * the listing that shows it: the stream, the mapping, the consumer's write and the index, plus at
 * most one poll. One poll in flight at a time and a few probes a second: the prober adds little load.
 */
import { LIMITS, ROUTES, type TrackingStatus } from '../lambda/contract';

export interface ProjectionLag {
  samples: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  max: number;
  /** Probes answered 200 but not listed within SEEN_WITHIN_MS. */
  unseen: number;
  /** The prober's POST /track answers, and how many of them were 200. */
  posts: number;
  posts200: number;
  /** GET /shipments sent: the prober's own load, with `posts`. */
  polls: number;
  /** The prober's requests that failed or were answered other than 200 (POSTs included). */
  errors: number;
}

/** Sends a signed request to a route (with its query) under the stage. */
type Send = (method: 'GET' | 'POST', routePath: string, body?: string) => Promise<Response>;

const PROBE_EVERY_MS = 250;
const POLL_EVERY_MS = 20;
/** A probe not listed by then counts as unseen (the run goes on without it). */
const SEEN_WITHIN_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest rank: the smallest sample with at least `p` of them at or below it. */
function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** Probes until stop(); stop() waits for the probes still unlisted (memoized: call it again for the result). */
export function startLagProber(options: { send: Send; status: TrackingStatus }): { stop(): Promise<ProjectionLag> } {
  const { send, status } = options;
  const listing = `${ROUTES.shipments.path}?limit=${LIMITS.listPageSizeMax}&status=${status}`;
  /** Unlisted probes: tracking id -> when its POST was answered. */
  const unlisted = new Map<string, number>();
  const lags: number[] = [];
  const counts = { unseen: 0, posts: 0, posts200: 0, polls: 0, errors: 0 };
  let probing = true;
  let probesDone = false;

  const probe = async (n: number) => {
    const trackingId = `LAG-${process.pid}-${n}`;
    const body = JSON.stringify({
      tracking_id: trackingId,
      status,
      location: { lat: 0, lng: 0 },
      event_time: new Date().toISOString(),
    });
    const response = await send('POST', ROUTES.track.path, body).catch(() => undefined);
    await response?.arrayBuffer();
    if (response) counts.posts += 1;
    if (response?.status !== 200) {
      counts.errors += 1;
      return;
    }
    counts.posts200 += 1;
    unlisted.set(trackingId, performance.now());
  };

  const probes = (async () => {
    for (let n = 0; probing; n += 1) {
      const started = performance.now();
      await probe(n);
      await sleep(Math.max(0, PROBE_EVERY_MS - (performance.now() - started)));
    }
    probesDone = true;
  })();

  const polls = (async () => {
    while (!probesDone || unlisted.size > 0) {
      if (unlisted.size > 0) {
        counts.polls += 1;
        const response = await send('GET', listing).catch(() => undefined);
        const page =
          response?.status === 200
            ? ((await response.json().catch(() => undefined)) as { shipments: { tracking_id: string }[] } | undefined)
            : undefined;
        const at = performance.now();
        if (!page) {
          await response?.arrayBuffer();
          counts.errors += 1;
        }
        for (const { tracking_id } of page?.shipments ?? []) {
          const answeredAt = unlisted.get(tracking_id);
          if (answeredAt === undefined) continue;
          lags.push(at - answeredAt);
          unlisted.delete(tracking_id);
        }
        for (const [trackingId, answeredAt] of unlisted) {
          if (at - answeredAt > SEEN_WITHIN_MS) {
            counts.unseen += 1;
            unlisted.delete(trackingId);
          }
        }
      }
      await sleep(POLL_EVERY_MS);
    }
  })();

  let result: Promise<ProjectionLag> | undefined;
  return {
    stop() {
      probing = false;
      result ??= Promise.all([probes, polls]).then(() => {
        const sorted = lags.map(Math.round).sort((a, b) => a - b);
        return {
          samples: sorted.length,
          p50: percentile(sorted, 0.5),
          p99: percentile(sorted, 0.99),
          max: sorted[sorted.length - 1] ?? 0,
          ...counts,
        };
      });
      return result;
    },
  };
}
