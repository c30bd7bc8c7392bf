import { Module } from '@nestjs/common';
import { OFFLINE_SOURCES } from '../common/offline-source';
import { GroupsModule } from '../groups/groups.module';
import { GroupsService } from '../groups/groups.service';
import { MessagesModule } from '../messages/messages.module';
import { MessagesService } from '../messages/messages.service';
import { UsersModule } from '../users/users.module';
import { ChatGateway } from './chat.gateway';
import { ConversationFrames } from './conversation-frames';
import { SessionFrames } from './session-frames';

@Module({
  imports: [UsersModule, MessagesModule, GroupsModule],
  providers: [
    ChatGateway,
    SessionFrames,
    ConversationFrames,
    {
      provide: OFFLINE_SOURCES,
      inject: [MessagesService, GroupsService],
      useFactory: (messages: MessagesService, groups: GroupsService) => [messages, groups],
    },
  ],
  exports: [ChatGateway],
})
export class GatewayModule {}
