import { Delivery } from '../common/delivery';
import type { PresenceChange } from './presence-changes';

/** What instances tell each other. */
export type BusMessage =
  /**
   * Write `frame` to every local connection of these users. `forwarded`: sent on by an instance
   * that held none of their sessions; not sent on again.
   */
  | { kind: 'deliver'; usernames: string[]; delivery: Delivery; forwarded?: true }
  /** Close one session (`sessionId`) or every session of `username`, after a Notice. */
  | { kind: 'kick'; username: string; sessionId?: string; code: number; reason: string }
  /** Users came online or went offline: sent to every live instance, each pushes it to its own subscribers. */
  | { kind: 'presence'; changes: PresenceChange[] }
  /** Sessions of these users were bound or ended on the sending instance: where they are changed. */
  | { kind: 'located'; usernames: string[] };

export type BusHandler = (message: BusMessage) => void;

/** The channel between instances; one channel per instance. */
export abstract class Bus {
  /** Returns how many subscribers received it (0: the instance is gone). */
  abstract publish(instanceId: string, message: BusMessage): Promise<number>;
  abstract subscribe(instanceId: string, handler: BusHandler): Promise<void>;
  abstract close(): Promise<void>;
  /** Called when the subscription is back after an outage: what was published meanwhile is lost. */
  onReconnect(listener: () => void): void {
    void listener;
  }
}
