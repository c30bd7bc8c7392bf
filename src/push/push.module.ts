import { Module } from '@nestjs/common';
import { PushQueueRepository } from './push-queue.repository';
import { PushService } from './push.service';

@Module({
  providers: [PushQueueRepository, PushService],
  exports: [PushService],
})
export class PushModule {}
