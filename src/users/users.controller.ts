import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { CloseCode } from '../protocol';
import { AdminOnly } from '../common/access';
import { ApiR } from '../common/api-envelope.decorator';
import { ValidationFailedException, refusalError } from '../common/error-mapping';
import { UserDto, UserPageDto, UserPageFilterDto, UserPageQueryDto } from './dto/user.dto';
import { UserRecord } from './users.repository';
import { UsersService } from './users.service';

function parseStatus(status: string): boolean {
  if (status === 'true' || status === '1') return true;
  if (status === 'false' || status === '0') return false;
  throw new ValidationFailedException('status must be true or false');
}

function toDto(user: UserRecord): UserDto {
  return {
    username: user.username,
    status: user.status,
    registerTime: user.registerTime.toISOString(),
    lastLoginTime: user.lastLoginTime?.toISOString() ?? null,
    passwordErrorNum: user.passwordErrorNum,
    passwordErrorLastTime: user.passwordErrorLastTime?.toISOString() ?? null,
  };
}

/** Fastify's router refuses a path parameter longer than this. */
const USERNAME_PARAM = { name: 'username', schema: { type: 'string' as const, minLength: 1, maxLength: 100 } };

@ApiTags('user')
@AdminOnly()
@Controller('user')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('page')
  @HttpCode(200)
  @ApiOperation({ summary: 'Page users, newest registration first, filtered by username substring and status' })
  @ApiBody({ type: UserPageFilterDto, required: false, description: 'No body: every user' })
  @ApiR(UserPageDto)
  async page(@Query() query: UserPageQueryDto, @Body() filter: UserPageFilterDto = {}): Promise<UserPageDto> {
    const page = await this.users.page({ username: filter?.username || undefined, status: filter?.status }, query.current, query.size);
    const { total, size, current } = page;
    return { records: page.records.map(toDto), total, size, current, pages: Math.ceil(total / size), searchCount: true };
  }

  @Put('setUserStatus/:username/:status')
  @ApiOperation({
    summary: `Enable (true) or disable (false) a user; disabling closes their connections everywhere (Notice, then ${CloseCode.Disabled})`,
  })
  @ApiParam(USERNAME_PARAM)
  @ApiParam({
    name: 'status',
    schema: { type: 'string', enum: ['true', 'false', '1', '0'] },
    description: 'true or 1: enable; false or 0: disable',
  })
  @ApiR('boolean', { refusal: 'the user does not exist' })
  async setStatus(@Param('username') username: string, @Param('status') status: string): Promise<boolean> {
    const result = await this.users.setStatus(username, parseStatus(status));
    if (!result.ok) throw refusalError(result);
    return true;
  }

  @Get(':username')
  @ApiOperation({ summary: 'One user' })
  @ApiParam(USERNAME_PARAM)
  @ApiR(UserDto, { refusal: 'the user does not exist' })
  async get(@Param('username') username: string): Promise<UserDto> {
    const result = await this.users.getUser(username);
    if (!result.ok) throw refusalError(result);
    return toDto(result.user);
  }
}
