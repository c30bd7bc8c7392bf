import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { REQUIRED } from '../../common/validation-messages';
import { USERNAME_MAX } from '../../users/user-rules';
import { GROUP_NAME_MAX } from '../group-rules';

/** Names are kept in NFC: the length that counts is the NFC one (a name typed decomposed is longer). */
const toNfc = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.normalize('NFC') : value);

/** The query of POST /joinMember and /removeMember; the group rules check the name itself. */
export class MemberQueryDto {
  @ApiProperty({ description: 'Group name (length in NFC)', example: 'friends', minLength: 1, maxLength: GROUP_NAME_MAX })
  @IsNotEmpty(REQUIRED)
  @Transform(toNfc)
  @IsString()
  @MaxLength(GROUP_NAME_MAX)
  name: string;

  @ApiProperty({ description: 'Username (length in NFC)', example: 'bob', minLength: 1, maxLength: USERNAME_MAX })
  @IsNotEmpty(REQUIRED)
  @Transform(toNfc)
  @IsString()
  @MaxLength(USERNAME_MAX)
  member: string;
}
