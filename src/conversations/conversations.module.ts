import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { MessagesModule } from '../messages/messages.module';
import { ConversationFrames } from './conversation-frames';

/** The frames that span 1:1 and group conversations: Ack and History. */
@Module({
  imports: [MessagesModule, GroupsModule],
  providers: [ConversationFrames],
  exports: [ConversationFrames],
})
export class ConversationsModule {}
