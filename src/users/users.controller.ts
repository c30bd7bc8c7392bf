import { Body, Controller, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/access';
import { ApiR } from '../common/api-envelope.decorator';
import { ValidationFailedException } from '../common/error-mapping';
import { UserDto, UserPageDto, UserPageFilterDto, UserPageQueryDto } from './dto/user.dto';
import { UsersService } from './users.service';

function parseStatus(status: string): boolean {
  if (status === 'true' || status === '1') return true;
  if (status === 'false' || status === '0') return false;
  throw new ValidationFailedException('status must be true or false');
}

@ApiTags('user')
@AdminOnly()
@Controller('user')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('page')
  @HttpCode(200)
  @ApiOperation({ summary: 'Page users, newest registration first, filtered by username substring and status' })
  @ApiR(UserPageDto)
  page(@Query() query: UserPageQueryDto, @Body() filter: UserPageFilterDto = {}): Promise<UserPageDto> {
    return this.users.page({ username: filter?.username || undefined, status: filter?.status }, query.current, query.size);
  }

  @Put('setUserStatus/:username/:status')
  @ApiOperation({ summary: 'Enable (true) or disable (false) a user; disabling closes their connections everywhere (Notice, then 4003)' })
  @ApiParam({ name: 'status', type: Boolean })
  @ApiR('boolean')
  setStatus(@Param('username') username: string, @Param('status') status: string): Promise<boolean> {
    return this.users.setStatus(username, parseStatus(status));
  }

  @Get(':username')
  @ApiOperation({ summary: 'One user' })
  @ApiR(UserDto)
  get(@Param('username') username: string): Promise<UserDto> {
    return this.users.getUser(username);
  }
}
