import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { MessageType } from '../protocol';
import { ClusterAccess } from '../common/access';
import { ApiR } from '../common/api-envelope.decorator';
import { BusinessException } from '../common/business.exception';
import { refusalError } from '../common/error-mapping';
import { normalizeUsername } from '../users/user-rules';
import { UsersService } from '../users/users.service';
import { ChatRequestMessageDto } from './dto/chat-request-message.dto';
import { MessagesService } from './messages.service';

@ApiTags('messages')
@Controller()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly users: UsersService,
  ) {}

  @Post('send')
  @HttpCode(200)
  @ClusterAccess()
  @ApiOperation({ summary: 'Send a 1:1 message as `from`, stored and routed like a WebSocket send; data is true when delivered live' })
  @ApiR('boolean', {
    refusal: `the sender or the recipient does not exist, or the send was refused (the type ${MessageType.ChatResponse} reason)`,
  })
  async send(@Body() body: ChatRequestMessageDto): Promise<boolean> {
    const from = normalizeUsername(body.from);
    if (!(await this.users.exists(from))) throw new BusinessException('Sender does not exist');
    const result = await this.messages.send({
      from,
      to: body.to,
      content: body.content,
      clientMessageId: body.clientMessageId,
      sequenceId: body.sequenceId ?? 0,
    });
    if (!result.ok) throw refusalError(result);
    return result.delivered;
  }
}
