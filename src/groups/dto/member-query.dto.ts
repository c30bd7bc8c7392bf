import { ApiProperty } from '@nestjs/swagger';
import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { REQUIRED } from '../../common/validation-messages';
import { USERNAME_MAX } from '../../users/user-rules';
import { GROUP_NAME_MAX } from '../group-rules';

/** The query of POST /joinMember and /removeMember; the group rules check the name itself. */
export class MemberQueryDto {
  @ApiProperty({ description: 'Group name', example: 'friends', minLength: 1, maxLength: GROUP_NAME_MAX })
  @IsNotEmpty(REQUIRED)
  @IsString()
  @MaxLength(GROUP_NAME_MAX)
  name: string;

  @ApiProperty({ description: 'Username', example: 'bob', minLength: 1, maxLength: USERNAME_MAX })
  @IsNotEmpty(REQUIRED)
  @IsString()
  @MaxLength(USERNAME_MAX)
  member: string;
}
