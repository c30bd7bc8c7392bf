import type { ClusterStats } from '../src/cluster/stats-types';

export type { ClusterStats, InstanceStats, StatsMove, StatsReading as StatsSample } from '../src/cluster/stats-types';

/** Calls to the admin HTTP API: every answer is the R<T> envelope; a refusal carries its `msg`. */

export interface Envelope<T> {
  code: number;
  data: T;
  msg: string;
  isSuccess: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get unauthorized(): boolean {
    return this.code === 401 || this.code === 403;
  }
}

export interface UserRecord {
  username: string;
  status: boolean;
  registerTime: string;
  lastLoginTime: string | null;
  passwordErrorNum: number;
  passwordErrorLastTime: string | null;
}

export interface UserPage {
  records: UserRecord[];
  total: number;
  size: number;
  current: number;
  pages: number;
}

export interface InstanceLoad {
  id: string;
  host: string;
  /** Where clients reach it (PUBLIC_URL): what a move there tells them. */
  url: string;
  users: number;
  connections: number;
  startedAt: string;
  draining?: boolean;
}

export interface RebalanceMove {
  fromHost: string;
  toHost: string;
  count: number;
  ok: boolean;
}

export interface UserFilter {
  username?: string;
  status?: boolean;
}

export class AdminApi {
  constructor(private readonly token: string) {}

  instances(): Promise<InstanceLoad[]> {
    return this.call('GET', '/cluster/instances');
  }

  stats(): Promise<ClusterStats> {
    return this.call('GET', '/cluster/stats');
  }

  users(filter: UserFilter, current: number, size: number): Promise<UserPage> {
    return this.call('POST', `/user/page?current=${current}&size=${size}`, filter);
  }

  setUserStatus(username: string, enabled: boolean): Promise<boolean> {
    return this.call('PUT', `/user/setUserStatus/${encodeURIComponent(username)}/${enabled}`);
  }

  rebalance(): Promise<RebalanceMove[]> {
    return this.call('POST', '/reBalance');
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    let envelope: Envelope<T> | undefined;
    try {
      envelope = (await response.json()) as Envelope<T>;
    } catch {
      envelope = undefined;
    }
    if (!envelope || typeof envelope.code !== 'number') throw new ApiError(response.status, response.status, `HTTP ${response.status}`);
    if (!envelope.isSuccess) throw new ApiError(envelope.code, response.status, envelope.msg || `error ${envelope.code}`);
    return envelope.data;
  }
}
