import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiR } from '../common/api-envelope.decorator';
import { R } from '../common/envelope';
import { ErrorCode } from '../common/error-codes';
import { HealthService } from './health.service';

export class HealthDto {
  @ApiProperty({ example: 'up', enum: ['up', 'down'] })
  database: 'up' | 'down';

  @ApiProperty({ example: 'up', enum: ['up', 'down'], description: 'Redis in cluster mode; the in-process registry otherwise' })
  registry: 'up' | 'down';

  @ApiProperty({ example: 'embedded', enum: ['embedded', 'cluster'] })
  mode: string;
}

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'Readiness of the database and the registry; HTTP 503 when either is down' })
  @ApiR(HealthDto)
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<R<HealthDto>> {
    const status = await this.health.check();
    const up = status.database === 'up' && status.registry === 'up';
    if (up) return R.ok(status, '/health');
    reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return R.of(ErrorCode.Internal, status, 'Service unavailable: a dependency is down', '/health');
  }
}
