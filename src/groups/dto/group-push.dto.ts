import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** GroupChatResponseMessage: a GroupChatResponse to push as it is (docs/protocol.md §7.3). */
export class GroupChatResponseMessageDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', example: 8 })
  messageType?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int64', example: 0 })
  sequenceId?: number;

  @ApiPropertyOptional({ example: true })
  success?: boolean;

  @ApiPropertyOptional({ example: null, nullable: true, type: String })
  reason?: string | null;

  @ApiProperty({ example: 'alice' })
  from: string;

  @ApiProperty({ example: 'friends' })
  groupName: string;

  @ApiProperty({ example: 'hello all' })
  content: string;

  @ApiPropertyOptional({ example: '1234' })
  messageId?: string;

  @ApiPropertyOptional({ example: '2026-11-26T20:00:00.000Z' })
  time?: string;
}

/** GroupCreateResponseMessage: a GroupCreateResponse for the user named first in `members`. */
export class GroupCreateResponseMessageDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', example: 10 })
  messageType?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int64', example: 0 })
  sequenceId?: number;

  @ApiPropertyOptional({ example: true })
  success?: boolean;

  @ApiPropertyOptional({ example: 'You have been added to group "friends"', nullable: true, type: String })
  reason?: string | null;

  @ApiPropertyOptional({ example: 'friends' })
  groupName?: string;

  @ApiProperty({ example: ['bob', 'alice'], type: [String] })
  members: string[];

  @ApiPropertyOptional({ example: '2026-11-26T20:00:00.000Z' })
  time?: string;
}
