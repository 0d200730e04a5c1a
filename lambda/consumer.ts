/**
 * The stream consumer's Lambda entry (`index.handler` in its bundle): the table stream's INSERT
 * records become each shipment's state record. The instance is built at init; see consumer-app.ts.
 */
import { createConsumer } from './consumer-app';

export const handler = createConsumer();
