import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { toInteger } from '../../common/query-integer';
import { MUST_BE_INTEGER } from '../../common/validation-messages';
import { IsBoolean, IsDateString, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';

/** Clients of the original API send "" for the dates they do not filter by. */
const unlessEmpty = ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null && value !== '');

/** UserDTO (docs/protocol.md §7.3); the password hash never leaves the server. */
export class UserDto {
  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty({ example: true, description: 'true: enabled, false: disabled' })
  status: boolean;

  @ApiProperty({ example: '2026-11-26T19:42:00.000Z', format: 'date-time' })
  registerTime: string;

  @ApiProperty({ example: '2026-11-26T20:00:00.000Z', nullable: true, type: String, format: 'date-time' })
  lastLoginTime: string | null;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 0 })
  passwordErrorNum: number;

  @ApiProperty({ example: null, nullable: true, type: String, format: 'date-time' })
  passwordErrorLastTime: string | null;
}

/**
 * The filter body of POST /user/page: a UserDTO whose `username` (substring, any letter case)
 * and `status` filter; the other UserDTO fields are accepted, as the original API did, and ignored.
 */
export class UserPageFilterDto {
  @ApiPropertyOptional({ description: 'Substring of the username, any letter case, without NUL characters', maxLength: 64 })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[^\u0000]*$/, { message: 'username must not contain NUL characters' })
  username?: string;

  @ApiPropertyOptional({ description: 'true: enabled users, false: disabled users' })
  @IsOptional()
  @IsBoolean()
  status?: boolean;

  @ApiPropertyOptional({ description: 'Ignored; an ISO-8601 date when given', type: String, nullable: true })
  @unlessEmpty
  @IsDateString()
  registerTime?: string;

  @ApiPropertyOptional({ description: 'Ignored; an ISO-8601 date when given', type: String, nullable: true })
  @unlessEmpty
  @IsDateString()
  lastLoginTime?: string;

  @ApiPropertyOptional({ description: 'Ignored', type: 'integer', format: 'int32' })
  @IsOptional()
  @IsInt(MUST_BE_INTEGER)
  passwordErrorNum?: number;

  @ApiPropertyOptional({ description: 'Ignored; an ISO-8601 date when given', type: String, nullable: true })
  @unlessEmpty
  @IsDateString()
  passwordErrorLastTime?: string;
}

/** The highest page a client may ask for (docs/protocol.md §7.3). */
const PAGE_MAX = 1_000_000;

export class UserPageQueryDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', default: 1, minimum: 1, maximum: PAGE_MAX })
  @IsOptional()
  @Transform(toInteger)
  @IsInt(MUST_BE_INTEGER)
  @Min(1)
  @Max(PAGE_MAX)
  current?: number;

  @ApiPropertyOptional({ type: 'integer', format: 'int32', default: 20, minimum: 1, description: 'Larger values are clamped to 100' })
  @IsOptional()
  @Transform(toInteger)
  @IsInt(MUST_BE_INTEGER)
  @Min(1)
  size?: number;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] })
  records: UserDto[];

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 42 })
  total: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 20 })
  size: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 1 })
  current: number;

  @ApiProperty({ type: 'integer', format: 'int32', minimum: 0, example: 3 })
  pages: number;

  @ApiProperty({ example: true })
  searchCount: boolean;
}
