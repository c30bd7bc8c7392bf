import { ApiProperty, ApiPropertyOptions, OmitType } from '@nestjs/swagger';
import { RebalanceMoveDto } from './instance.dto';

const count = (description: string): ApiPropertyOptions => ({ type: 'integer', format: 'int32', minimum: 0, example: 12, description });

export class StatsSampleDto {
  @ApiProperty({ type: 'integer', format: 'int64', example: 1796140800000, description: 'When the interval ended (epoch ms)' })
  at: number;

  @ApiProperty(count('Logged-in connections at that moment'))
  connections: number;

  @ApiProperty(count('Messages stored during the interval'))
  messages: number;

  @ApiProperty(count('Successful logins during the interval'))
  logins: number;

  @ApiProperty(count('Refusals during the interval: failed logins and refused requests'))
  refusals: number;

  @ApiProperty(count('Connections asked to move to another instance during the interval'))
  moves: number;
}

export class InstanceStatsDto {
  @ApiProperty({ example: '3f2a9c1b7d4e' })
  id: string;

  @ApiProperty({ example: '10.0.0.5:9092', description: '`ip:port`, as in /cluster/instances' })
  host: string;

  @ApiProperty({ example: 'wss://chat1.example.com/ws', description: 'Where clients reach it (PUBLIC_URL)' })
  url: string;

  @ApiProperty({ type: [StatsSampleDto], description: 'One per STATS_SAMPLE_MS over the window, oldest first' })
  samples: StatsSampleDto[];
}

/** A move as a rebalance orders it (without `ok`: only accepted moves are recorded), with its time. */
export class StatsMoveDto extends OmitType(RebalanceMoveDto, ['ok'] as const) {
  @ApiProperty({ type: 'integer', format: 'int64', example: 1796140800000, description: 'When the move was ordered (epoch ms)' })
  at: number;
}

export class ClusterStatsDto {
  @ApiProperty({ type: 'integer', format: 'int64', example: 1796140805000, description: "The server's time (epoch ms): the window's end" })
  now: number;

  @ApiProperty({ type: 'integer', format: 'int32', example: 5000, description: 'STATS_SAMPLE_MS: the interval of a sample' })
  sampleMs: number;

  @ApiProperty({ type: 'integer', format: 'int32', example: 900000, description: 'How far back the samples go' })
  windowMs: number;

  @ApiProperty({ type: [InstanceStatsDto], description: 'Every live instance, oldest first' })
  instances: InstanceStatsDto[];

  @ApiProperty({ type: [StatsMoveDto], description: 'The latest rebalance and drain moves of the live instances, oldest first' })
  moves: StatsMoveDto[];
}
