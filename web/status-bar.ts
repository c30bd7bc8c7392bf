import type { ClientState } from '@chat-server/client';
import { byId, setMessage } from './dom';

const BANNER_MS = 8000;

const STATE_LABELS: Record<ClientState, string> = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  moved: 'moved to another instance',
  closed: 'offline',
};

/** The connection badge of the top bar and the banner under it. */
export class StatusBar {
  private readonly state = byId('connection-state');
  private readonly banner = byId('banner');
  private bannerTimer: ReturnType<typeof setTimeout> | undefined;

  setState(state: ClientState): void {
    this.state.dataset.state = state;
    this.state.textContent = STATE_LABELS[state];
  }

  notify(text: string, kind: 'info' | 'error' = 'info'): void {
    clearTimeout(this.bannerTimer);
    setMessage(this.banner, text, kind);
    this.bannerTimer = setTimeout(() => setMessage(this.banner, undefined), kind === 'error' ? 2 * BANNER_MS : BANNER_MS);
  }
}
