/** Benchmark baseline: the runtime's floor, a handler that returns a constant. */
export const handler = async () => ({ statusCode: 200, body: '{"ok":true}' });
