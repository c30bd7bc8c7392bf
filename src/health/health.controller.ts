import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiR, envelopeSchema } from '../common/api-envelope.decorator';
import { R } from '../common/envelope';
import { ErrorCode } from '../common/error-codes';
import { HealthService, HealthStatus } from './health.service';

export class HealthDto implements HealthStatus {
  @ApiProperty({ example: 'up', enum: ['up', 'down'] })
  database: 'up' | 'down';

  @ApiProperty({ example: 'up', enum: ['up', 'down'], description: 'Redis in cluster mode; the in-process registry otherwise' })
  registry: 'up' | 'down';

  @ApiProperty({
    example: 'up',
    enum: ['up', 'down'],
    description: "The registry took this instance's last heartbeat within two intervals",
  })
  heartbeat: 'up' | 'down';

  @ApiProperty({ example: false, description: 'Shutting down: moving its clients away, taking no new ones' })
  draining: boolean;

  @ApiProperty({ example: 'embedded', enum: ['embedded', 'cluster'] })
  mode: 'embedded' | 'cluster';
}

export class LivenessDto {
  @ApiProperty({ example: 'up', enum: ['up'] })
  status: 'up';
}

/** Not ready: HTTP 503, code -1, and the same `data` saying what is down. */
const ApiUnavailable = () =>
  ApiResponse({
    status: 503,
    description: 'Not ready: a dependency is down, heartbeats fail, or the instance drains',
    schema: envelopeSchema([ErrorCode.Internal], { $ref: getSchemaPath(HealthDto) }),
  });

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get()
  @ApiOperation({ summary: 'The readiness check (the same as /health/ready)' })
  @ApiR(HealthDto)
  @ApiUnavailable()
  check(@Res({ passthrough: true }) reply: FastifyReply): Promise<R<HealthDto>> {
    return this.readiness(reply, '/health');
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: HTTP 503 while the database or the registry is down, heartbeats fail, or the instance drains' })
  @ApiR(HealthDto)
  @ApiUnavailable()
  ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<R<HealthDto>> {
    return this.readiness(reply, '/health/ready');
  }

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process serves requests (no dependency is checked)' })
  @ApiR(LivenessDto)
  live(): R<LivenessDto> {
    return R.ok({ status: 'up' }, '/health/live');
  }

  private async readiness(reply: FastifyReply, path: string): Promise<R<HealthDto>> {
    const status = await this.health.check();
    if (HealthService.isReady(status)) return R.ok(status, path);
    reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return R.of(
      ErrorCode.Internal,
      status,
      status.draining ? 'Service unavailable: the instance is shutting down' : 'Service unavailable: a dependency is down',
      path,
    );
  }
}
