import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsDateString, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf } from 'class-validator';

/** Clients of the original API send "" for the dates they do not filter by. */
const unlessEmpty = ValidateIf((_object: object, value: unknown) => value !== undefined && value !== null && value !== '');

/** UserDTO (docs/protocol.md §7.3); the password hash never leaves the server. */
export class UserDto {
  @ApiProperty({ example: 'alice' })
  username: string;

  @ApiProperty({ example: true, description: 'true: enabled, false: disabled' })
  status: boolean;

  @ApiProperty({ example: '2026-11-26T19:42:00.000Z' })
  registerTime: string;

  @ApiProperty({ example: '2026-11-26T20:00:00.000Z', nullable: true, type: String })
  lastLoginTime: string | null;

  @ApiProperty({ example: 0 })
  passwordErrorNum: number;

  @ApiProperty({ example: null, nullable: true, type: String })
  passwordErrorLastTime: string | null;
}

/**
 * The filter body of POST /user/page: a UserDTO whose `username` (substring, any letter case)
 * and `status` filter; the other UserDTO fields are accepted, as the original API did, and ignored.
 */
export class UserPageFilterDto {
  @ApiPropertyOptional({ description: 'Substring of the username, any letter case' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  @Matches(/^[^\u0000]*$/, { message: 'username must not contain NUL characters' })
  username?: string;

  @ApiPropertyOptional({ description: 'true: enabled users, false: disabled users' })
  @IsOptional()
  @IsBoolean()
  status?: boolean;

  @ApiPropertyOptional({ description: 'Ignored' })
  @unlessEmpty
  @IsDateString()
  registerTime?: string;

  @ApiPropertyOptional({ description: 'Ignored' })
  @unlessEmpty
  @IsDateString()
  lastLoginTime?: string;

  @ApiPropertyOptional({ description: 'Ignored' })
  @IsOptional()
  @IsInt()
  passwordErrorNum?: number;

  @ApiPropertyOptional({ description: 'Ignored' })
  @unlessEmpty
  @IsDateString()
  passwordErrorLastTime?: string;
}

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value);

export class UserPageQueryDto {
  @ApiPropertyOptional({ default: 1, minimum: 1, maximum: 1000000 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1000000)
  current?: number;

  @ApiPropertyOptional({ default: 20, minimum: 1, description: 'Clamped to 100' })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  size?: number;
}

export class UserPageDto {
  @ApiProperty({ type: [UserDto] })
  records: UserDto[];

  @ApiProperty({ example: 42 })
  total: number;

  @ApiProperty({ example: 20 })
  size: number;

  @ApiProperty({ example: 1 })
  current: number;

  @ApiProperty({ example: 3 })
  pages: number;

  @ApiProperty({ example: true })
  searchCount: boolean;
}
