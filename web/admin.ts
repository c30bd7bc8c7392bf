import { AdminApi, ApiError, ClusterStats, InstanceLoad, RebalanceMove, UserFilter, UserRecord } from './admin-api';
import { buildChart, moveText, statsCharts } from './admin-charts';
import { renderChart } from './chart-view';
import { byId, errorText, formatTime, h, setMessage, show } from './dom';

/** Kept for this tab only: closing it forgets the admin token. */
const TOKEN_KEY = 'chat.adminToken';
const POLL_MS = 3000;
const PAGE_SIZE = 10;
/** The charts follow the samples, but ask at most every 5 s and at least 1 s apart. */
const STATS_POLL_MS = { min: 1000, max: 5000 };
/** The charts' drawing size in SVG units; CSS scales them to the panel. */
const CHART_SIZE = { width: 480, height: 170 };

function readToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

function writeToken(token: string | undefined): void {
  try {
    if (token === undefined) sessionStorage.removeItem(TOKEN_KEY);
    else sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Without storage the token lasts until a reload.
  }
}

/** `word`, with an s unless `count` is one. */
function plural(count: number, word: string): string {
  return count === 1 ? word : `${word}s`;
}

function percent(value: number, max: number): string {
  return `${Math.round((Math.max(0, value) / max) * 1000) / 10}%`;
}

class AdminPage {
  private readonly ui = {
    logout: byId<HTMLButtonElement>('admin-logout'),
    error: byId('admin-error'),
    tokenView: byId('token-view'),
    tokenForm: byId<HTMLFormElement>('token-form'),
    token: byId<HTMLInputElement>('admin-token'),
    console: byId('console'),
    filterForm: byId<HTMLFormElement>('user-filter-form'),
    usernameFilter: byId<HTMLInputElement>('user-filter'),
    statusFilter: byId<HTMLSelectElement>('status-filter'),
    usersBody: byId('users-body'),
    pagePrev: byId<HTMLButtonElement>('page-prev'),
    pageNext: byId<HTMLButtonElement>('page-next'),
    pageInfo: byId('page-info'),
    instances: byId('instances'),
    clusterUpdated: byId('cluster-updated'),
    rebalance: byId<HTMLButtonElement>('rebalance'),
    rebalanceResult: byId('rebalance-result'),
    charts: byId('charts'),
    moves: byId('moves'),
    statsUpdated: byId('stats-updated'),
  };

  private api: AdminApi | undefined;
  private page = 1;
  private pages = 1;
  private filter: UserFilter = {};
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private statsTimer: ReturnType<typeof setTimeout> | undefined;

  start(): void {
    this.ui.tokenForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.open(this.ui.token.value.trim());
    });
    this.ui.logout.addEventListener('click', () => this.close());
    this.ui.filterForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const username = this.ui.usernameFilter.value.trim();
      const status = this.ui.statusFilter.value;
      this.filter = { ...(username ? { username } : {}), ...(status ? { status: status === 'true' } : {}) };
      this.page = 1;
      void this.loadUsers();
    });
    this.ui.pagePrev.addEventListener('click', () => this.turnPage(-1));
    this.ui.pageNext.addEventListener('click', () => this.turnPage(1));
    this.ui.rebalance.addEventListener('click', () => void this.rebalance());

    const token = readToken();
    if (token) void this.open(token);
    else this.showTokenForm();
  }

  /** Checks the token with a first admin call, then shows the console. */
  private async open(token: string): Promise<void> {
    if (!token) return;
    const api = new AdminApi(token);
    let instances: InstanceLoad[];
    try {
      instances = await api.instances();
    } catch (error) {
      this.showTokenForm();
      this.showError(error);
      return;
    }
    this.api = api;
    writeToken(token);
    this.ui.token.value = '';
    setMessage(this.ui.error, undefined);
    show(this.ui.tokenView, false);
    show(this.ui.console, true);
    show(this.ui.logout, true);
    this.renderInstances(instances);
    this.schedulePoll();
    void this.pollStats();
    await this.loadUsers();
  }

  private close(message?: string): void {
    clearTimeout(this.pollTimer);
    clearTimeout(this.statsTimer);
    this.pollTimer = undefined;
    this.statsTimer = undefined;
    this.api = undefined;
    writeToken(undefined);
    this.showTokenForm();
    if (message) setMessage(this.ui.error, message, 'error');
  }

  private showTokenForm(): void {
    show(this.ui.console, false);
    show(this.ui.logout, false);
    show(this.ui.tokenView, true);
    this.ui.token.focus();
  }

  private showError(error: unknown): void {
    setMessage(this.ui.error, errorText(error), 'error');
  }

  /** A refused token ends the console; any other failure is shown and the console stays. */
  private failed(error: unknown): void {
    if (error instanceof ApiError && error.unauthorized) this.close(error.message);
    else this.showError(error);
  }

  // ---- users ----

  private turnPage(step: number): void {
    const page = this.page + step;
    if (page < 1 || page > this.pages) return;
    this.page = page;
    void this.loadUsers();
  }

  private async loadUsers(): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      const result = await api.users(this.filter, this.page, PAGE_SIZE);
      if (this.api !== api) return;
      this.pages = Math.max(1, result.pages);
      if (this.page > this.pages) {
        this.page = this.pages;
        await this.loadUsers();
        return;
      }
      const rows = result.records.map((user) => this.userRow(user));
      if (rows.length === 0) rows.push(h('tr', {}, h('td', { className: 'empty', text: 'No users match' })));
      this.ui.usersBody.replaceChildren(...rows);
      this.ui.pageInfo.textContent = `page ${result.current} of ${this.pages} · ${result.total} ${plural(result.total, 'user')}`;
      this.ui.pagePrev.disabled = this.page <= 1;
      this.ui.pageNext.disabled = this.page >= this.pages;
    } catch (error) {
      this.failed(error);
    }
  }

  private userRow(user: UserRecord): HTMLTableRowElement {
    const toggle = h('button', {
      type: 'button',
      className: user.status ? 'danger' : 'secondary',
      testId: 'user-toggle',
      text: user.status ? 'Disable' : 'Enable',
    });
    toggle.addEventListener('click', () => void this.setStatus(user, toggle));
    return h(
      'tr',
      { testId: 'user-row', dataset: { username: user.username, status: String(user.status) } },
      h('td', { className: 'username', testId: 'user-name', text: user.username }),
      h(
        'td',
        {},
        h('span', {
          className: `status ${user.status ? 'enabled' : 'disabled'}`,
          testId: 'user-status',
          text: user.status ? 'enabled' : 'disabled',
        }),
      ),
      h('td', { text: formatTime(user.registerTime) }),
      h('td', { text: user.lastLoginTime ? formatTime(user.lastLoginTime) : '—' }),
      h('td', { className: 'number', text: String(user.passwordErrorNum) }),
      h('td', {}, toggle),
    );
  }

  private async setStatus(user: UserRecord, button: HTMLButtonElement): Promise<void> {
    const api = this.api;
    if (!api) return;
    button.disabled = true;
    try {
      await api.setUserStatus(user.username, !user.status);
      setMessage(this.ui.error, undefined);
      await this.loadUsers();
    } catch (error) {
      button.disabled = false;
      this.failed(error);
    }
  }

  // ---- cluster ----

  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), POLL_MS);
  }

  private async poll(): Promise<void> {
    await this.refreshCluster();
    if (this.api) this.schedulePoll();
  }

  private async refreshCluster(): Promise<void> {
    const api = this.api;
    if (!api) return;
    try {
      const instances = await api.instances();
      if (this.api === api) this.renderInstances(instances);
    } catch (error) {
      this.failed(error);
    }
  }

  private renderInstances(instances: InstanceLoad[]): void {
    const max = Math.max(1, ...instances.map((instance) => Math.max(instance.users, instance.connections)));
    const bar = (label: string, value: number, testId: string) =>
      h(
        'div',
        { className: 'bar-row' },
        h('span', { className: 'bar-label', text: label }),
        h('div', { className: 'bar' }, this.fill(testId, value, max)),
        h('span', { className: 'bar-value', testId: `${testId}-value`, text: String(value) }),
      );
    const cards = instances.map((instance) =>
      h(
        'article',
        { className: `instance${instance.draining ? ' draining' : ''}`, testId: 'instance', dataset: { host: instance.host } },
        h(
          'header',
          {},
          h('strong', { className: 'host', testId: 'instance-host', text: instance.host }),
          instance.draining ? h('span', { className: 'status disabled', text: 'draining' }) : null,
          h('span', { className: 'hint', text: `started ${formatTime(instance.startedAt)}` }),
        ),
        h('p', { className: 'hint public-url', testId: 'instance-url', text: `clients: ${instance.url}` }),
        bar('users', instance.users, 'bar-users'),
        bar('connections', instance.connections, 'bar-connections'),
      ),
    );
    if (cards.length === 0) cards.push(h('p', { className: 'empty', text: 'No live instance' }));
    this.ui.instances.replaceChildren(...cards);
    this.ui.clusterUpdated.textContent = `Updated ${new Date().toLocaleTimeString()}.`;
  }

  private fill(testId: string, value: number, max: number): HTMLDivElement {
    const fill = h('div', { className: 'fill', testId });
    // CSSOM writes are allowed by the style-src 'self' policy, unlike style attributes.
    fill.style.width = percent(value, max);
    return fill;
  }

  // ---- traffic charts ----

  private async pollStats(): Promise<void> {
    const api = this.api;
    if (!api) return;
    let delay = STATS_POLL_MS.max;
    try {
      const stats = await api.stats();
      if (this.api !== api) return;
      this.renderStats(stats);
      delay = Math.min(STATS_POLL_MS.max, Math.max(STATS_POLL_MS.min, stats.sampleMs));
    } catch (error) {
      this.failed(error);
    }
    if (this.api !== api) return;
    clearTimeout(this.statsTimer);
    this.statsTimer = setTimeout(() => void this.pollStats(), delay);
  }

  private renderStats(stats: ClusterStats): void {
    const frame = { now: stats.now, windowMs: stats.windowMs, sampleMs: stats.sampleMs, ...CHART_SIZE };
    this.ui.charts.replaceChildren(...statsCharts(stats).map((input) => renderChart(buildChart(input, frame))));
    const time = (at: number) => new Date(at).toLocaleTimeString();
    const moves = [...stats.moves].reverse().map((move) => h('li', { testId: 'stats-move', text: moveText(move, time) }));
    const minutes = Math.round(stats.windowMs / 60_000);
    if (moves.length === 0) moves.push(h('li', { className: 'empty', text: `No moves in the last ${minutes} minutes` }));
    this.ui.moves.replaceChildren(...moves);
    this.ui.statsUpdated.textContent = `Updated ${time(stats.now)}.`;
  }

  private async rebalance(): Promise<void> {
    const api = this.api;
    if (!api) return;
    this.ui.rebalance.disabled = true;
    try {
      const moves = await api.rebalance();
      this.renderMoves(moves);
      void this.pollStats();
      await this.refreshCluster();
    } catch (error) {
      this.failed(error);
    } finally {
      this.ui.rebalance.disabled = false;
    }
  }

  private renderMoves(moves: RebalanceMove[]): void {
    const items =
      moves.length === 0
        ? [h('p', { text: 'Nothing to move: the cluster is balanced.' })]
        : [
            h('p', { text: `${moves.length} ${plural(moves.length, 'move')} ordered:` }),
            h(
              'ul',
              {},
              ...moves.map((move) => {
                const refused = move.ok ? '' : ' (refused)';
                const text = `${move.fromHost} → ${move.toHost}: ${move.count} ${plural(move.count, 'connection')}${refused}`;
                return h('li', { testId: 'rebalance-move', text });
              }),
            ),
          ];
    this.ui.rebalanceResult.replaceChildren(...items);
    show(this.ui.rebalanceResult, true);
  }
}

new AdminPage().start();
