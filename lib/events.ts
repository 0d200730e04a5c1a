/**
 * The stack's own EventBridge bus: the stream consumer puts a status-change event on it
 * (lambda/contract.ts STATUS_EVENT) for each real transition of a shipment's current state, while
 * the real_time_notifications flag is on. What listens on it (the optional webhook, lib/webhook.ts,
 * or any rule an operator adds) is decoupled from the consumer: it only knows the bus name.
 */
import * as cloudwatch from '@pulumi/aws/cloudwatch';
import { STATUS_EVENT } from '../lambda/contract';
import type { TapStackArgs } from './config';
import { resourceNames } from './names';
import type { Scope } from './scope';

/**
 * Encrypted at rest with an AWS owned key (EventBridge's default, no kmsKeyIdentifier): the
 * customer managed key is a waiver (policy/waivers.ts, eventbridge-cmk). No resource policy: only
 * principals of this account, through IAM, may use it (the consumer's role may only put events).
 */
export function createEventBus(scope: Scope, args: TapStackArgs): cloudwatch.EventBus {
  return new cloudwatch.EventBus(
    scope.name('event-bus'),
    {
      name: resourceNames(args.environmentSuffix).eventBus,
      description: `Shipment status changes (source ${STATUS_EVENT.source}, detail-type "${STATUS_EVENT.detailType}") from the tracking projection`,
    },
    { parent: scope.parent },
  );
}
