/**
 * Current state end to end: updates posted through the API reach the listing and GET /status's
 * `current` through the table's stream and the projection consumer (locally: the local stream and
 * event source mapping; deployed: the real ones), in event-time order whatever the arrival order.
 * The listing is eventually consistent: the suite polls it, bounded.
 */
import { STATUSES } from '../../lambda/contract';
import type { ApiResponse } from './client';
import { openTarget, uniqueId, type Target } from './target';

/** How long a deployed projection may take (a local one is waited for exactly, see `settled`). */
const DEPLOYED_LAG_MS = 30_000;

describe('current state and GET /shipments end to end', () => {
  let target: Target;

  beforeAll(async () => {
    target = await openTarget();
  });
  afterAll(() => target?.close());

  const post = (body: unknown) => target.client.request({ method: 'POST', path: '/track', body: JSON.stringify(body) });
  const list = (query: Record<string, string>) => target.client.request({ method: 'GET', path: '/shipments', query });
  const status = (trackingId: string) =>
    target.client.request({ method: 'GET', path: '/status', query: { tracking_id: trackingId } });

  /** Waits until `check` holds: locally until the mapping is idle, deployed by polling. */
  async function settled(check: () => Promise<boolean>): Promise<void> {
    if (target.local) {
      await target.local.mapping.idle();
      expect(await check()).toBe(true);
      return;
    }
    const deadline = Date.now() + DEPLOYED_LAG_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`the projection did not catch up within ${DEPLOYED_LAG_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /** Every shipment of one listing (all pages of `limit`), and the pages' sizes. */
  async function listAll(query: Record<string, string>, limit: number) {
    const shipments: Record<string, unknown>[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page: ApiResponse = await list({ ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
      expect(page.status).toBe(200);
      shipments.push(...(page.json.shipments as Record<string, unknown>[]));
      sizes.push(page.json.count as number);
      cursor = page.json.next_cursor as string | undefined;
    } while (cursor);
    return { shipments, sizes };
  }

  it('lists shipments exactly by their current status, newest event first, in full pages, late old scans included', async () => {
    const now = Date.now();
    const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();
    const run = uniqueId('E2E-LIST');
    // 40 shipments; each gets two scans: the newer one (its current state) is posted FIRST, then an
    // older scan with another status arrives last, as a scanner uploading its buffer late would.
    const expected = new Map<string, { status: string; updatedAt: number }>();
    for (let i = 0; i < 40; i++) {
      const id = `${run}-${String(i).padStart(2, '0')}`;
      const current = STATUSES[i % STATUSES.length];
      const stale = STATUSES[(i + 1) % STATUSES.length];
      const minutesAgo = 10 + i;
      expect(
        (await post({ tracking_id: id, status: current, location: { lat: 1, lng: i }, event_time: at(minutesAgo) }))
          .status,
      ).toBe(200);
      expect(
        (await post({ tracking_id: id, status: stale, location: { lat: 2, lng: i }, event_time: at(minutesAgo + 60) }))
          .status,
      ).toBe(200);
      expected.set(id, { status: current, updatedAt: Date.parse(at(minutesAgo)) });
    }
    // Only this run's shipments: updated within the run's window.
    const bounds = { updated_after: at(60), updated_before: new Date(now + 60_000).toISOString() };
    const mine = (s: Record<string, unknown>) => String(s.tracking_id).startsWith(run);
    await settled(async () => {
      const { shipments } = await listAll({ status: 'delivered', ...bounds }, 100);
      return shipments.filter(mine).length === [...expected.values()].filter((e) => e.status === 'delivered').length;
    });

    for (const wanted of STATUSES) {
      const { shipments, sizes } = await listAll({ status: wanted, ...bounds }, 3);
      const listed = shipments.filter(mine);
      const ids = [...expected]
        .filter(([, e]) => e.status === wanted)
        .sort(([, a], [, b]) => b.updatedAt - a.updatedAt);
      expect(listed.map((s) => s.tracking_id)).toEqual(ids.map(([id]) => id));
      for (const s of listed)
        expect([s.status, s.updated_at]).toEqual([wanted, expected.get(String(s.tracking_id))!.updatedAt]);
      // Every page but the last is full.
      expect(sizes.slice(0, -1).every((n) => n === 3)).toBe(true);
    }

    const one = [...expected.keys()][5];
    const read = await status(one);
    expect(read.json.current).toEqual(
      expect.objectContaining({
        tracking_id: one,
        status: expected.get(one)!.status,
        updated_at: expected.get(one)!.updatedAt,
      }),
    );
    // The history keeps both scans, in arrival order, and never the state record.
    expect((read.json.updates as unknown[]).length).toBe(2);
  });

  it('refuses a listing without a status, or with one that does not exist', async () => {
    const missing = await list({});
    expect(missing.status).toBe(400);
    const unknown = await list({ status: 'lost' });
    expect(unknown.status).toBe(400);
    expect(unknown.json.details).toEqual([expect.objectContaining({ field: 'status' })]);
  });
});
