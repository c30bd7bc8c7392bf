/** The answer of GET /cluster/stats (docs/protocol.md), shared by the server and the admin console's charts. */

/** One instance's sample of an interval: the connections at its end, the others counts during it. */
export interface StatsReading {
  /** When the interval ended (epoch ms). */
  at: number;
  connections: number;
  messages: number;
  logins: number;
  refusals: number;
  moves: number;
}

export interface InstanceStats {
  id: string;
  host: string;
  url: string;
  /** Oldest first. */
  samples: StatsReading[];
}

/** A move as the console lists it: from which instance to which. */
export interface StatsMove {
  at: number;
  from: string;
  fromHost: string;
  to: string;
  toHost: string;
  count: number;
}

export interface ClusterStats {
  /** When the answer was made: the window's end, on the server's clock. */
  now: number;
  sampleMs: number;
  windowMs: number;
  instances: InstanceStats[];
  /** Oldest first. */
  moves: StatsMove[];
}
