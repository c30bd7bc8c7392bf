import { Delivery } from '../common/delivery';
import { LocalSessions, SessionSocket } from './local-sessions';

function socket(username: string, index: number, log: string[]): SessionSocket & { got: string[] } {
  const got: string[] = [];
  return {
    sessionId: `${username}-${index}`,
    username,
    isOpen: true,
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

  it('does not count a user reached whose connections here are all closing (they may be on another instance already)', () => {
    const { local, sockets } = sessions(3);
    (sockets[1] as { isOpen: boolean }).isOpen = false;
    const reached = local.deliver(['u0', 'u1', 'u2'], { frame: 'x' });
    expect([...reached].sort()).toEqual(['u0', 'u2']);
  });

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
    // u0 had `first` at once: its `third` waits behind the connections that began waiting before it.
    for (let i = 0; i < 50 && (sockets[999].got.length < 3 || sockets[0].got.length < 2); i++) await turn();
    expect(sockets[999].got).toEqual(['first', 'second', 'third']);
    expect(sockets[0].got).toEqual(['first', 'third']);
  });

  it('keeps every connection in order across fan-outs with overlapping, different members and a direct delivery between', async () => {
    const { local, sockets } = sessions(1000);
    const names = (from: number, to: number) => sockets.slice(from, to).map((s) => s.username!);
    // u0-u599 first, then u400-u999 in reverse, then u450 alone, then u300-u499.
    local.deliver(names(0, 600), { frame: 'a' });
    local.deliver(names(400, 1000).reverse(), { frame: 'b' });
    local.deliver(['u450'], { frame: 'c' });
    local.deliver(names(300, 500), { frame: 'd' });
    for (let i = 0; i < 50 && sockets.some((s) => s.got.length < expected(s)); i++) await turn();
    function expected(s: ReturnType<typeof socket>): number {
      return want(s).length;
    }
    function want(s: ReturnType<typeof socket>): string[] {
      const i = Number(s.username!.slice(1));
      return [i < 600 && 'a', i >= 400 && 'b', i === 450 && 'c', i >= 300 && i < 500 && 'd'].filter((f): f is string => f !== false);
    }
    for (const s of sockets) expect(s.got).toEqual(want(s));
  });

  it('writes all a connection waits for in one turn, so that its frames leave together', async () => {
    const { local, sockets } = sessions(1000);
    const everyone = sockets.map((s) => s.username!);
    let turns = 0;
    const turnOf = new Map<string, number[]>();
    for (const s of sockets) {
      const deliver = s.deliver;
      s.deliver = (delivery: Delivery) => {
        turnOf.set(s.username!, [...(turnOf.get(s.username!) ?? []), turns]);
        deliver(delivery);
      };
    }
    for (let i = 0; i < 5; i++) local.deliver(everyone, { frame: `m${i}` });
    while (sockets.some((s) => s.got.length < 5)) {
      await turn();
      turns++;
    }
    for (const s of sockets) expect(s.got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    // The first 200 were written m0 at once, the rest of m0..m4 later; past them, one turn each.
    for (const s of sockets.slice(200)) expect(new Set(turnOf.get(s.username!)).size).toBe(1);
  });

  it('past the backlog limit writes what waits at once rather than queueing without bound', () => {
    const { local, sockets } = sessions(5000);
    const everyone = sockets.map((s) => s.username!);
    for (let i = 0; i < 21; i++) local.deliver(everyone, { frame: `m${i}` });
    // 21 fan-outs of 5,000 are 105,000 writes: over 100,000 waiting, everything was written.
    expect(sockets.every((s) => s.got.length === 21)).toBe(true);
  });
});
