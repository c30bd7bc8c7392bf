import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { defaultPublicUrl } from './registry';

/**
 * Who this instance is: its id, the address the other instances reach it at (`PUBLIC_HOST:PORT`)
 * and the URL clients are sent to (PUBLIC_URL, by default `ws://PUBLIC_HOST:PORT/ws`).
 */
@Injectable()
export class InstanceIdentity {
  readonly id = randomBytes(6).toString('hex');
  readonly startedAt = Date.now();
  readonly ip: string;
  port: number;
  private readonly publicUrl?: string;

  constructor(config: AppConfig) {
    this.ip = config.http.publicHost;
    this.port = config.http.port;
    this.publicUrl = config.http.publicUrl;
  }

  get host(): string {
    return `${this.ip}:${this.port}`;
  }

  /** Read after the server listens: the default names the port it got. */
  get url(): string {
    return this.publicUrl ?? defaultPublicUrl(this.host);
  }
}
