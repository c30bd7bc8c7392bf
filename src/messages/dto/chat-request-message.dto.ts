import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, IsDateString } from 'class-validator';

/** ChatRequestMessage of seed/api.md: the body of POST /send. */
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
  sequenceId?: number;

  @ApiPropertyOptional({ example: '2026-11-26T20:00:00.000Z' })
  @IsOptional()
  @IsDateString()
  time?: string;

  @ApiPropertyOptional({ description: 'Deduplication key, unique per sender (1..64 characters)' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  clientMessageId?: string;
}
