import { ApiProperty } from '@nestjs/swagger';

export class InstanceDto {
  @ApiProperty({ example: '3f2a9c1b7d4e' })
  id: string;

  @ApiProperty({ example: '10.0.0.5:9092', description: '`ip:port`, as in type 21 and /reBalance/handler' })
  host: string;

  @ApiProperty({ example: '10.0.0.5' })
  ip: string;

  @ApiProperty({ example: 9092 })
  port: number;

  @ApiProperty({ example: 120, description: 'Distinct logged-in users' })
  users: number;

  @ApiProperty({ example: 131, description: 'Logged-in connections' })
  connections: number;

  @ApiProperty({ example: '2026-11-26T19:42:00.000Z' })
  startedAt: string;
}

export class ServerAddressDto {
  @ApiProperty({ example: '10.0.0.5' })
  ip: string;

  @ApiProperty({ example: 9092 })
  port: number;
}
