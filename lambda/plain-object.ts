/** The one "is this a JSON object" check (not null, not an array), for the function, the tools and the policy pack. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
