/** The per-phase time budget given to SDK calls, and how a request's time is split (lambda/deadline.ts). */
import {
  ANSWER_RESERVE_MS,
  MIN_PHASE_MS,
  PARK_RESERVE_MS,
  QUERY_BUDGET_MS,
  parkBudget,
  queryBudget,
  withDeadline,
  writeBudget,
} from '../../lambda/deadline';

afterEach(() => jest.useRealTimers());

it('aborts the phase signal with a TimeoutError once the budget has passed', async () => {
  const reason = await withDeadline(
    20,
    (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason))),
  );
  expect(reason).toBeInstanceOf(DOMException);
  expect((reason as DOMException).name).toBe('TimeoutError');
  expect((reason as DOMException).message).toBe('phase exceeded its 20 ms budget');
});

it('leaves no timer behind when the phase ends early, whether it succeeds or fails', async () => {
  jest.useFakeTimers();
  let signal: AbortSignal | undefined;
  await expect(withDeadline(60_000, async (s) => ((signal = s), 'done'))).resolves.toBe('done');
  await expect(withDeadline(60_000, async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  expect(jest.getTimerCount()).toBe(0);
  expect(signal?.aborted).toBe(false);
});

describe('the budgets of a request', () => {
  it('POST /track: writes end in time to park, parking in time to answer', () => {
    expect(writeBudget(10_000, 10, 1_000_000)).toEqual({
      writeMs: 10_000 - PARK_RESERVE_MS,
      parkBy: 1_000_000 + 10_000 - ANSWER_RESERVE_MS,
    });
    expect(parkBudget(1_009_700, 1_008_000)).toBe(1700);
  });

  it('POST /track: outside Lambda the configured function timeout stands in for the remaining time', () => {
    expect(writeBudget(undefined, 3, 0)).toEqual({ writeMs: 3000 - PARK_RESERVE_MS, parkBy: 3000 - ANSWER_RESERVE_MS });
  });

  it('GET /status: the remaining time less the answer reserve, else QUERY_BUDGET_MS', () => {
    expect(queryBudget(5000)).toBe(5000 - ANSWER_RESERVE_MS);
    expect(queryBudget(undefined)).toBe(QUERY_BUDGET_MS);
  });

  it('never gives a phase less than MIN_PHASE_MS', () => {
    expect(writeBudget(1000, 10, 0).writeMs).toBe(MIN_PHASE_MS);
    expect(parkBudget(1000, 5000)).toBe(MIN_PHASE_MS);
    expect(queryBudget(100)).toBe(MIN_PHASE_MS);
  });

  it('keeps the values the routes have always used', () => {
    expect([PARK_RESERVE_MS, ANSWER_RESERVE_MS, MIN_PHASE_MS, QUERY_BUDGET_MS]).toEqual([2500, 300, 250, 8000]);
  });
});
