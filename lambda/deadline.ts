/**
 * A time budget for one phase of a request, as an AbortSignal for the SDK's `send`.
 *
 * Unlike `AbortSignal.timeout()`, whose timer cannot be cancelled and keeps the signal alive until
 * it fires (thousands of live timers and signals in a warm container under load), the timer here is
 * cleared as soon as the phase ends.
 */
export async function withDeadline<T>(ms: number, phase: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException(`phase exceeded its ${ms} ms budget`, 'TimeoutError')), ms);
  timer.unref();
  try {
    return await phase(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
