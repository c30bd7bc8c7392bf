import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { MUST_BE_INTEGER, REQUIRED } from '../../common/validation-messages';
import { toInteger } from '../../common/query-integer';

export const REBALANCE_NUMBER_MAX = 999_999_999;

/** The query of POST /reBalance/handler. */
export class RebalanceQueryDto {
  @ApiProperty({
    description: '`ip:port` of the target instance, as in /cluster/instances',
    example: '10.0.0.6:9092',
    minLength: 1,
    maxLength: 255,
  })
  @IsNotEmpty(REQUIRED)
  @IsString()
  @MaxLength(255)
  host: string;

  @ApiProperty({
    description: 'How many connections to move',
    example: 10,
    type: 'integer',
    format: 'int32',
    minimum: 1,
    maximum: REBALANCE_NUMBER_MAX,
  })
  @IsNotEmpty(REQUIRED)
  @Transform(toInteger)
  @IsInt(MUST_BE_INTEGER)
  @Min(1)
  @Max(REBALANCE_NUMBER_MAX)
  reBalanceNumber: number;
}
