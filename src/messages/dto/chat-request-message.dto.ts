import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsInt, IsOptional, IsString, Length, Max, Min, ValidateIf } from 'class-validator';

/** ChatRequestMessage: the body of POST /send (docs/protocol.md §7.3). */
export class ChatRequestMessageDto {
  @ApiProperty({ example: 'alice' })
  @IsString()
  from: string;

  @ApiProperty({ example: 'bob' })
  @IsString()
  to: string;

  @ApiProperty({ example: 'hello' })
  @IsString()
  content: string;

  @ApiPropertyOptional({ example: 5 })
  @IsOptional()
  @IsInt()
  messageType?: number;

  @ApiPropertyOptional({ example: 0 })
  @IsOptional()
  @IsInt()
  @Min(Number.MIN_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  sequenceId?: number;

  @ApiPropertyOptional({ example: '2026-11-26T20:00:00.000Z', description: 'Ignored: the server sets the time' })
  @ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null && value !== '')
  @IsDateString()
  time?: string;

  @ApiPropertyOptional({ description: 'Deduplication key, unique per sender (1..64 characters)' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  clientMessageId?: string;
}
