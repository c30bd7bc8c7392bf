import { MemoryRegistry } from './memory-registry';

describe('MemoryRegistry presence transitions', () => {
  const session = (sessionId: string, instanceId: string) => ({ username: 'ann', sessionId, instanceId });

  it('tells the first bind and the last unbind of a user, across instances, in growing versions', async () => {
    const registry = new MemoryRegistry();
    const first = await registry.bind(session('1', 'a'), 5);
    expect(first.cameOnline).toMatchObject({ username: 'ann', online: true });
    expect((await registry.bind(session('2', 'b'), 5)).cameOnline).toBeNull();
    expect(await registry.unbind(session('1', 'a'))).toBeNull();
    // Unbinding a session the registry does not hold (evicted, unbound already) is no transition.
    expect(await registry.unbind(session('1', 'a'))).toBeNull();
    const last = await registry.unbind(session('2', 'b'));
    expect(last).toMatchObject({ username: 'ann', online: false });
    expect(last!.version).toBeGreaterThan(first.cameOnline!.version);
  });

  it('tells whose last session a purge removed, and only theirs', async () => {
    const registry = new MemoryRegistry();
    await registry.bind(session('1', 'a'), 5);
    await registry.bind({ username: 'bob', sessionId: '2', instanceId: 'a' }, 5);
    await registry.bind({ username: 'bob', sessionId: '3', instanceId: 'b' }, 5);
    const purged = await registry.purge('a');
    expect(purged.removed).toBe(2);
    expect(purged.wentOffline.map((t) => t.username)).toEqual(['ann']);
  });
});
