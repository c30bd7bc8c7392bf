import { Controller, Get, Req, Res, UnauthorizedException, ForbiddenException } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { identifyCaller } from '../common/access';
import { AppConfig } from '../config/app-config';
import { MetricsService } from './metrics.service';

@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus text format; needs the admin token unless METRICS_PUBLIC=true' })
  @ApiProduces('text/plain')
  async scrape(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.config.http.metricsPublic) {
      const caller = identifyCaller(request.headers, this.config);
      if (caller === 'cluster') throw new ForbiddenException('This route needs the admin token');
      if (caller !== 'admin') throw new UnauthorizedException('Missing or invalid token');
    }
    const body = await this.metrics.registry.metrics();
    await reply.header('content-type', this.metrics.registry.contentType).send(body);
  }
}
