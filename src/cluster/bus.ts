import { Delivery } from '../common/delivery';

/** What instances tell each other. */
export type BusMessage =
  /** Write `frame` to every local connection of these users. */
  | { kind: 'deliver'; usernames: string[]; delivery: Delivery }
  /** Close one session (`sessionId`) or every session of `username`, after a Notice. */
  | { kind: 'kick'; username: string; sessionId?: string; code: number; reason: string };

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
