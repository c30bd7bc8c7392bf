import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { AppConfig } from '../config/app-config';

/** Who this instance is: its id and the address others reach it at (`PUBLIC_HOST:PORT`). */
@Injectable()
export class InstanceIdentity {
  readonly id = randomBytes(6).toString('hex');
  readonly startedAt = Date.now();
  readonly ip: string;
  port: number;

  constructor(config: AppConfig) {
    this.ip = config.publicHost;
    this.port = config.port;
  }

  get host(): string {
    return `${this.ip}:${this.port}`;
  }

  get url(): string {
    return `ws://${this.host}/ws`;
  }
}
