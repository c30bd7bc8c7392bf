import { Module } from '@nestjs/common';
import { OFFLINE_SOURCES } from '../common/offline-source';
import { MessagesModule } from '../messages/messages.module';
import { MessagesService } from '../messages/messages.service';
import { UsersModule } from '../users/users.module';
import { ChatGateway } from './chat.gateway';
import { ConversationFrames } from './conversation-frames';
import { SessionFrames } from './session-frames';

@Module({
  imports: [UsersModule, MessagesModule],
  providers: [
    ChatGateway,
    SessionFrames,
    ConversationFrames,
    { provide: OFFLINE_SOURCES, inject: [MessagesService], useFactory: (messages: MessagesService) => [messages] },
  ],
  exports: [ChatGateway],
})
export class GatewayModule {}
