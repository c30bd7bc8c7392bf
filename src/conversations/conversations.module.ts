import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { MessagesModule } from '../messages/messages.module';
import { ConversationFrames } from './conversation-frames';
import { ReadFrames } from './read-frames';
import { ReadsService } from './reads.service';

/** The frames that span 1:1 and group conversations: Ack, History, Read and the list of conversations. */
@Module({
  imports: [MessagesModule, GroupsModule],
  providers: [ConversationFrames, ReadsService, ReadFrames],
  exports: [ConversationFrames, ReadFrames],
})
export class ConversationsModule {}
