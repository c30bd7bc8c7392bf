import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { MessagesModule } from '../messages/messages.module';
import { PushModule } from '../push/push.module';
import { EditFrames } from './edit-frames';
import { EditsService } from './edits.service';

/** Edit and recall of messages, 1:1 and group, and the changes a login pushes. */
@Module({
  imports: [MessagesModule, GroupsModule, PushModule],
  providers: [EditsService, EditFrames],
  exports: [EditsService, EditFrames],
})
export class EditsModule {}
