import { Global, Module, OnApplicationShutdown } from '@nestjs/common';
import { Database } from './database';
import { databaseProviders } from './database.providers';

@Global()
@Module({
  providers: databaseProviders,
  exports: [Database],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(private readonly db: Database) {}

  async onApplicationShutdown(): Promise<void> {
    await this.db.close();
  }
}
