import { Module } from '@nestjs/common';
import { PushModule } from '../push/push.module';
import { UsersModule } from '../users/users.module';
import { MessageFrames } from './message-frames';
import { MessagePartitions } from './message-partitions';
import { MessageStore } from './message.store';
import { MessagesController } from './messages.controller';
import { MessagesService } from './messages.service';

@Module({
  imports: [PushModule, UsersModule],
  controllers: [MessagesController],
  providers: [MessageStore, MessagesService, MessageFrames, MessagePartitions],
  exports: [MessageStore, MessagesService, MessageFrames],
})
export class MessagesModule {}
