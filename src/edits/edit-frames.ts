import { Injectable } from '@nestjs/common';
import { Result } from '../common/refusal';
import { ClientFrame, FrameRefusal, ResponseFields } from '../handlers/frame';
import { FrameContext, FrameRoute, FrameRoutes } from '../handlers/frame-route';
import { MessageType, REFUSAL_FIELDS } from '../protocol';
import { Changed, EditsService } from './edits.service';

/** EditRequest (41) → EditResponse (42) and RecallRequest (43) → RecallResponse (44). */
@Injectable()
export class EditFrames implements FrameRoutes {
  constructor(private readonly edits: EditsService) {}

  routes(): FrameRoute[] {
    return [
      { requestType: MessageType.EditRequest, handle: (c, f) => this.edit(c, f) },
      { requestType: MessageType.RecallRequest, handle: (c, f) => this.recall(c, f) },
    ];
  }

  private async edit(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    return answer(await this.edits.edit(connection.username!, frame.messageId, frame.content), REFUSAL_FIELDS[MessageType.EditResponse]);
  }

  private async recall(connection: FrameContext, frame: ClientFrame): Promise<ResponseFields> {
    return answer(await this.edits.recall(connection.username!, frame.messageId), REFUSAL_FIELDS[MessageType.RecallResponse]);
  }
}

function answer(result: Result<Changed>, refusalFields: ResponseFields): ResponseFields {
  if (!result.ok) throw FrameRefusal.of(result, refusalFields);
  return { success: true, reason: null, messageId: result.messageId, editedAt: result.editedAt };
}
