import { Module } from '@nestjs/common';
import { GroupsModule } from '../groups/groups.module';
import { UsersModule } from '../users/users.module';
import { PresenceFrames } from './presence-frames';
import { PresenceService } from './presence.service';
import { TypingService } from './typing.service';

/** Presence (who is online, last seen, pushes to subscribers) and typing notices. */
@Module({
  imports: [UsersModule, GroupsModule],
  providers: [PresenceService, TypingService, PresenceFrames],
  exports: [PresenceFrames],
})
export class PresenceModule {}
