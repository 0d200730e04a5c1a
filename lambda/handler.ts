/**
 * The Lambda entry (`index.handler` in the bundle). The instance is built at init (module load), so
 * clients, validators and Powertools are ready before the first request; see app.ts.
 */
import { createHandler } from './app';

export const handler = createHandler();
