/**
 * Time budgets: how a request's remaining time is split into phases, and each phase's budget as an
 * AbortSignal for the SDK's `send`.
 *
 * Unlike `AbortSignal.timeout()`, whose timer cannot be cancelled and keeps the signal alive until
 * it fires (thousands of live timers and signals in a warm container under load), the timer here is
 * cleared as soon as the phase ends.
 */
export async function withDeadline<T>(ms: number, phase: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`phase exceeded its ${ms} ms budget`, 'TimeoutError')),
    ms,
  );
  timer.unref();
  try {
    return await phase(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

/** Time kept back for parking when the write phase runs long. */
export const PARK_RESERVE_MS = 2500;
/** Time kept back for answering when the last phase (parking, the status query) runs long. */
export const ANSWER_RESERVE_MS = 300;
/** No phase gets less than this, however little time is left. */
export const MIN_PHASE_MS = 250;
/** The GET /status query's budget when the runtime does not say how much time is left. */
export const QUERY_BUDGET_MS = 8000;

/** A budget of `ms`, or the minimum phase when less is left. */
const phase = (ms: number): number => Math.max(MIN_PHASE_MS, ms);

/** The budgets of POST /track: writes must end in time to park; parking (only on a refused write) in time to answer. */
export interface WriteBudget {
  /** The write phase's budget (ms). */
  writeMs: number;
  /** When parking must be done (ms since the epoch); see `parkBudget`. */
  parkBy: number;
}

/**
 * `remainingMs`: what the runtime says is left (undefined outside Lambda, where the configured
 * function timeout, `timeoutSeconds`, stands in).
 */
export function writeBudget(remainingMs: number | undefined, timeoutSeconds: number, now = Date.now()): WriteBudget {
  const budgetMs = remainingMs ?? timeoutSeconds * 1000;
  return { writeMs: phase(budgetMs - PARK_RESERVE_MS), parkBy: now + budgetMs - ANSWER_RESERVE_MS };
}

/** The parking phase's budget (ms): what is left until `parkBy`. */
export function parkBudget(parkBy: number, now = Date.now()): number {
  return phase(parkBy - now);
}

/** The GET /status query's budget (ms), from what the runtime says is left (undefined outside Lambda). */
export function queryBudget(remainingMs: number | undefined): number {
  return remainingMs === undefined ? QUERY_BUDGET_MS : phase(remainingMs - ANSWER_RESERVE_MS);
}
