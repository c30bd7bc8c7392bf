import { Injectable, Logger } from '@nestjs/common';
import { Delivery } from '../common/delivery';
import { Bus } from './bus';
import { InstanceIdentity } from './instance-identity';
import { LocalSessions } from './local-sessions';
import { Registry } from './registry';

/**
 * Hands a frame to every live connection of some users, wherever they are: local sockets
 * directly, and one bus publish per remote instance that holds any of them.
 */
@Injectable()
export class DeliveryService {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    private readonly identity: InstanceIdentity,
    private readonly registry: Registry,
    private readonly bus: Bus,
    private readonly local: LocalSessions,
  ) {}

  /** Returns the users that at least one live connection was handed the frame for. */
  async deliver(usernames: string[], delivery: Delivery): Promise<Set<string>> {
    const reached = this.local.deliver(usernames, delivery);
    let sessions: Map<string, { instanceId: string }[]>;
    try {
      sessions = await this.registry.sessionsOf(usernames);
    } catch (error) {
      // The message is stored and unacknowledged: the next login delivers it.
      this.logger.warn(`Registry lookup failed, remote delivery skipped: ${String(error)}`);
      return reached;
    }
    const remote = new Map<string, string[]>();
    for (const [username, refs] of sessions) {
      for (const { instanceId } of refs) {
        if (instanceId === this.identity.id) continue;
        let users = remote.get(instanceId);
        if (!users) remote.set(instanceId, (users = []));
        if (users[users.length - 1] !== username) users.push(username);
      }
    }
    await Promise.all(
      [...remote].map(async ([instanceId, users]) => {
        try {
          const receivers = await this.bus.publish(instanceId, { kind: 'deliver', usernames: users, delivery });
          if (receivers > 0) for (const user of users) reached.add(user);
        } catch (error) {
          this.logger.warn(`Delivery to instance ${instanceId} failed: ${String(error)}`);
        }
      }),
    );
    return reached;
  }
}
