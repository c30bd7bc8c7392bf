import { Module } from '@nestjs/common';
import { MessagesModule } from '../messages/messages.module';
import { PushModule } from '../push/push.module';
import { UsersModule } from '../users/users.module';
import { GroupFrames } from './group-frames';
import { GroupsController } from './groups.controller';
import { GroupsRepository } from './groups.repository';
import { GroupsService } from './groups.service';

@Module({
  imports: [PushModule, UsersModule, MessagesModule],
  controllers: [GroupsController],
  providers: [GroupsRepository, GroupsService, GroupFrames],
  exports: [GroupsService, GroupFrames],
})
export class GroupsModule {}
