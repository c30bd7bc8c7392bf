import { Delivery } from '../common/delivery';
import { LocalSessions, SessionSocket } from './local-sessions';

function socket(username: string, index: number, log: string[]): SessionSocket & { got: string[] } {
  const got: string[] = [];
  return {
    sessionId: `${username}-${index}`,
    username,
    moving: false,
    got,
    deliver: (delivery: Delivery) => {
      got.push(delivery.frame);
      log.push(`${username}:${delivery.frame}`);
    },
    kick: () => undefined,
    move: () => undefined,
  };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('LocalSessions fan-out', () => {
  function sessions(users: number): { local: LocalSessions; sockets: ReturnType<typeof socket>[]; log: string[] } {
    const local = new LocalSessions();
    const log: string[] = [];
    const sockets = Array.from({ length: users }, (_, i) => socket(`u${i}`, 0, log));
    for (const s of sockets) local.add(s);
    return { local, sockets, log };
  }

  it('writes a small delivery at once', () => {
    const { local, sockets } = sessions(3);
    expect([...local.deliver(['u0', 'u2', 'nobody'], { frame: 'm' })]).toEqual(['u0', 'u2']);
    expect(sockets.map((s) => s.got.length)).toEqual([1, 0, 1]);
  });

  it('writes a large one in slices, one slice per turn of the event loop, and every member gets it', async () => {
    const { local, sockets } = sessions(5000);
    const reached = local.deliver(
      sockets.map((s) => s.username!),
      { frame: 'big' },
    );
    expect(reached.size).toBe(5000);
    const written = () => sockets.filter((s) => s.got.length === 1).length;
    expect(written()).toBe(200);
    // Another callback (a bystander's frame) runs between the slices.
    let between = -1;
    setImmediate(() => (between = written()));
    await turn();
    expect(between).toBeGreaterThan(0);
    expect(between).toBeLessThan(5000);
    while (written() < 5000) await turn();
    expect(sockets.every((s) => s.got.length === 1)).toBe(true);
  });

  it('a later delivery never overtakes an earlier one on a connection', async () => {
    const { local, sockets } = sessions(1000);
    const everyone = sockets.map((s) => s.username!);
    local.deliver(everyone, { frame: 'first' });
    local.deliver(['u999'], { frame: 'second' });
    local.deliver(everyone, { frame: 'third' });
    for (let i = 0; i < 50 && sockets[999].got.length < 3; i++) await turn();
    expect(sockets[999].got).toEqual(['first', 'second', 'third']);
    expect(sockets[0].got).toEqual(['first', 'third']);
  });

  it('past the backlog limit writes what waits at once rather than queueing without bound', () => {
    const { local, sockets } = sessions(5000);
    const everyone = sockets.map((s) => s.username!);
    for (let i = 0; i < 21; i++) local.deliver(everyone, { frame: `m${i}` });
    // 21 fan-outs of 5,000 are 105,000 writes: over 100,000 waiting, everything was written.
    expect(sockets.every((s) => s.got.length === 21)).toBe(true);
  });
});
