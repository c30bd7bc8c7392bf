import { Cluster } from 'ioredis';
import { slotOwners } from './redis-client';

/** A Cluster client's slot map and connection pool, without connecting: three masters own 0-5460, 5461-10922, 10923-16383. */
function clusterWith(connected: number[]): Cluster {
  const cluster = Object.create(Cluster.prototype) as Cluster;
  const slots: string[][] = [];
  for (let slot = 0; slot < 16384; slot++) slots.push([`127.0.0.1:${slot <= 5460 ? 7001 : slot <= 10922 ? 7002 : 7003}`, '127.0.0.1:7004']);
  Object.defineProperty(cluster, 'slots', { value: slots });
  const nodes = connected.map((port) => ({ options: { host: '127.0.0.1', port } }));
  Object.defineProperty(cluster, 'nodes', { value: () => nodes });
  return cluster;
}

describe('slotOwners', () => {
  it('gives one connection per master', () => {
    const owners = slotOwners(clusterWith([7001, 7002, 7003, 7004]));
    expect(owners.map((node) => node.options.port)).toEqual([7001, 7002, 7003]);
  });

  it('throws while a master is dead and not replaced: the client dropped its connection, the slot map still names it', () => {
    expect(() => slotOwners(clusterWith([7001, 7003, 7004]))).toThrow('No connection to 127.0.0.1:7002, the master of slot 5461');
  });

  it('throws while some slots have no owner', () => {
    const cluster = clusterWith([7001, 7002, 7003]);
    delete (cluster.slots as unknown as (string[] | undefined)[])[16000];
    expect(() => slotOwners(cluster)).toThrow('No master known for slot 16000');
  });
});
