import { Module } from '@nestjs/common';
import { OFFLINE_SOURCES, PendingProbe } from '../common/offline-source';
import { ConversationFrames } from '../conversations/conversation-frames';
import { ConversationsModule } from '../conversations/conversations.module';
import { ReadFrames } from '../conversations/read-frames';
import { EditFrames } from '../edits/edit-frames';
import { EditsModule } from '../edits/edits.module';
import { EditsService } from '../edits/edits.service';
import { GroupFrames } from '../groups/group-frames';
import { GroupsModule } from '../groups/groups.module';
import { GroupsService } from '../groups/groups.service';
import { FRAME_ROUTES, FrameRoutes } from '../handlers/frame-route';
import { MessageFrames } from '../messages/message-frames';
import { MessagesModule } from '../messages/messages.module';
import { MessagesService } from '../messages/messages.service';
import { PresenceFrames } from '../presence/presence-frames';
import { PresenceModule } from '../presence/presence.module';
import { UsersModule } from '../users/users.module';
import { ChatGateway } from './chat.gateway';
import { SessionFrames } from './session-frames';

/** Wires the features into the gateway through its ports: their frame routes and their offline sources. */
@Module({
  imports: [UsersModule, MessagesModule, GroupsModule, ConversationsModule, PresenceModule, EditsModule],
  providers: [
    ChatGateway,
    SessionFrames,
    {
      provide: FRAME_ROUTES,
      inject: [MessageFrames, GroupFrames, ConversationFrames, PresenceFrames, ReadFrames, EditFrames],
      useFactory: (...features: FrameRoutes[]) => features,
    },
    {
      provide: OFFLINE_SOURCES,
      inject: [MessagesService, GroupsService, EditsService],
      useFactory: (messages: MessagesService, groups: GroupsService, edits: EditsService) => [messages, groups, edits],
    },
    // The messages feature holds the tables the probe reads most (messages, message_changes).
    { provide: PendingProbe, useExisting: MessagesService },
  ],
  exports: [ChatGateway],
})
export class GatewayModule {}
