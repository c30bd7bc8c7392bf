import { Injectable } from '@nestjs/common';
import { MessageType, REFUSAL_FIELDS, RefusalCode } from '../protocol';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FrameContext, FrameRoute, FrameRoutes } from '../handlers/frame-route';
import { FROM_MISMATCH, isSelf } from '../handlers/sender';
import { MessagesService } from './messages.service';

/** ChatRequest (5) → the sender's acknowledgement (6) once the message is stored. */
@Injectable()
export class MessageFrames implements FrameRoutes {
  constructor(private readonly messages: MessagesService) {}

  routes(): FrameRoute[] {
    return [{ requestType: MessageType.ChatRequest, handle: (c, f) => this.chat(c, f) }];
  }

  private async chat(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    const username = connection.username!;
    const to = typeof frame.to === 'string' ? frame.to : null;
    const refusalFields = { ...REFUSAL_FIELDS[MessageType.ChatResponse], from: username, to };
    if (!isSelf(frame.from, username)) throw new FrameRefusal(RefusalCode.Forbidden, FROM_MISMATCH, refusalFields);
    const result = await this.messages.send({
      from: username,
      to: frame.to,
      content: frame.content,
      clientMessageId: frame.clientMessageId,
      sequenceId: frame.sequenceId,
    });
    if (!result.ok) throw FrameRefusal.of(result, refusalFields);
    return {
      success: true,
      reason: null,
      from: username,
      to: result.to,
      content: null,
      messageId: result.messageId,
      delivered: result.delivered,
      offline: false,
    };
  }
}
