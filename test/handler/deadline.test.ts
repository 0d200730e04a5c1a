/** The per-phase time budget given to SDK calls (lambda/deadline.ts). */
import { withDeadline } from '../../lambda/deadline';

afterEach(() => jest.useRealTimers());

it('aborts the phase signal with a TimeoutError once the budget has passed', async () => {
  const reason = await withDeadline(20, (signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason))));
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
