import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsDefined, IsInt, IsOptional, IsString, Length, Max, Min, ValidateIf } from 'class-validator';
import { MUST_BE_INTEGER, REQUIRED } from '../../common/validation-messages';

/** ChatRequestMessage: the body of POST /send (docs/protocol.md §7.3). */
export class ChatRequestMessageDto {
  @ApiProperty({ example: 'alice' })
  @IsDefined(REQUIRED)
  @IsString()
  from: string;

  @ApiProperty({ example: 'bob' })
  @IsDefined(REQUIRED)
  @IsString()
  to: string;

  @ApiProperty({ example: 'hello', description: 'Not empty, at most MAX_CONTENT_BYTES (default 20000) bytes of UTF-8' })
  @IsDefined(REQUIRED)
  @IsString()
  content: string;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', example: 5 })
  @IsOptional()
  @IsInt(MUST_BE_INTEGER)
  messageType?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int64', example: 0, minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER })
  @IsOptional()
  @IsInt(MUST_BE_INTEGER)
  @Min(Number.MIN_SAFE_INTEGER)
  @Max(Number.MAX_SAFE_INTEGER)
  sequenceId?: number;

  @ApiPropertyOptional({
    example: '2026-11-26T20:00:00.000Z',
    description: 'Ignored: the server sets the time; an ISO-8601 date when given',
    type: String,
    nullable: true,
  })
  @ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null && value !== '')
  @IsDateString()
  time?: string;

  @ApiPropertyOptional({ description: 'Deduplication key, unique per sender', minLength: 1, maxLength: 64 })
  @IsOptional()
  @IsString()
  @Length(1, 64, { message: 'clientMessageId must be 1 to 64 characters' })
  clientMessageId?: string;
}
