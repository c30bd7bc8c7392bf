import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiExtraModels, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { MessageType } from '../protocol';
import { ClusterAccess } from '../common/access';
import { ApiR } from '../common/api-envelope.decorator';
import { refusalError } from '../common/error-mapping';
import { normalizeUsername } from '../users/user-rules';
import { GroupChatResponseMessageDto, GroupCreateResponseMessageDto } from './dto/group-push.dto';
import { MemberQueryDto } from './dto/member-query.dto';
import { groupChatPushes, groupCreatePushes } from './group-push';
import { GroupsService } from './groups.service';

@ApiTags('groups')
@ApiExtraModels(GroupChatResponseMessageDto, GroupCreateResponseMessageDto)
@ClusterAccess()
@Controller()
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post('joinMember')
  @HttpCode(200)
  @ApiOperation({ summary: 'Add an existing user to an existing group, cluster-wide; true also when already a member' })
  @ApiR('boolean', { refusal: 'the group or the user does not exist' })
  async joinMember(@Query() { name, member }: MemberQueryDto): Promise<boolean> {
    const result = await this.groups.addMember(name, member);
    if (!result.ok) throw refusalError(result);
    return true;
  }

  @Post('removeMember')
  @HttpCode(200)
  @ApiOperation({ summary: 'Remove a member, cluster-wide; the group is deleted when it empties' })
  @ApiR('boolean', { refusal: 'the group does not exist, or the user is not a member' })
  async removeMember(@Query() { name, member }: MemberQueryDto): Promise<boolean> {
    const result = await this.groups.quit(normalizeUsername(member), name, false);
    if (!result.ok) throw refusalError(result);
    return true;
  }

  @Post('sendGroupChatMessage')
  @HttpCode(200)
  @ApiOperation({
    summary:
      `Push each message (type ${MessageType.GroupChatResponse}) to that user's live connections, wherever they are; ` +
      'true when every user had one',
  })
  @ApiBody({ schema: { type: 'object', additionalProperties: { $ref: getSchemaPath(GroupChatResponseMessageDto) } } })
  @ApiR('boolean')
  async sendGroupChatMessage(@Body() body: unknown): Promise<boolean> {
    return this.groups.push([...groupChatPushes(body)].map(([username, frame]) => ({ username, frame })));
  }

  @Post('sendGroupCreateMessage')
  @HttpCode(200)
  @ApiOperation({
    summary:
      `Push each type ${MessageType.GroupCreateResponse} to the user named first in its members, wherever connected; ` +
      'true when every such user had a live connection',
  })
  @ApiBody({ schema: { type: 'array', items: { $ref: getSchemaPath(GroupCreateResponseMessageDto) } } })
  @ApiR('boolean')
  async sendGroupCreateMessage(@Body() body: unknown): Promise<boolean> {
    return this.groups.push(groupCreatePushes(body));
  }
}
