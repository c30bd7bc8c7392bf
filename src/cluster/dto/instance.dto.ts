import { ApiProperty } from '@nestjs/swagger';
import { MessageType } from '../../protocol';

export class InstanceDto {
  @ApiProperty({ example: '3f2a9c1b7d4e' })
  id: string;

  @ApiProperty({ example: '10.0.0.5:9092', description: `\`ip:port\`, as in type ${MessageType.ReBalance} and /reBalance/handler` })
  host: string;

  @ApiProperty({ example: '10.0.0.5' })
  ip: string;

  @ApiProperty({ type: 'integer', format: 'int32', example: 9092, minimum: 1, maximum: 65535 })
  port: number;

  @ApiProperty({ example: 'wss://chat1.example.com/ws', description: 'Where clients reach it (PUBLIC_URL): the `url` of a move there' })
  url: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 120, description: 'Distinct logged-in users' })
  users: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 131, description: 'Logged-in connections' })
  connections: number;

  @ApiProperty({ example: '2026-11-26T19:42:00.000Z', format: 'date-time' })
  startedAt: string;

  @ApiProperty({ example: false, description: 'Shutting down: moving its clients away' })
  draining: boolean;
}

export class RebalanceMoveDto {
  @ApiProperty({ example: '3f2a9c1b7d4e' })
  from: string;

  @ApiProperty({ example: '10.0.0.5:9092' })
  fromHost: string;

  @ApiProperty({ example: '9a8b7c6d5e4f' })
  to: string;

  @ApiProperty({ example: '10.0.0.6:9092' })
  toHost: string;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 120, description: 'Connections asked to move' })
  count: number;

  @ApiProperty({ example: true, description: 'The busy instance accepted the order' })
  ok: boolean;
}

export class ServerAddressDto {
  @ApiProperty({ example: '10.0.0.5' })
  ip: string;

  @ApiProperty({ type: 'integer', format: 'int32', example: 9092, minimum: 1, maximum: 65535 })
  port: number;

  @ApiProperty({ example: 'wss://chat1.example.com/ws', description: 'The WebSocket URL to open (its PUBLIC_URL)' })
  url: string;
}
