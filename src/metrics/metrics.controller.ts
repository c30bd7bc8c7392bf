import { Controller, Get, Req, Res, UnauthorizedException, ForbiddenException } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrorR } from '../common/api-envelope.decorator';
import { ErrorCode } from '../common/error-codes';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { accessRefusal, identifyCaller } from '../common/access';
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
  @ApiBearerAuth('admin')
  @ApiResponse({ status: 200, description: 'The metrics', content: { 'text/plain': { schema: { type: 'string' } } } })
  @ApiErrorR(401, ErrorCode.Unauthorized, 'Missing or invalid token (unless METRICS_PUBLIC=true)')
  @ApiErrorR(403, ErrorCode.Forbidden, 'The cluster token was given: this route needs the admin token')
  async scrape(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    if (!this.config.http.metricsPublic) {
      const refusal = accessRefusal('admin', identifyCaller(request.headers, this.config));
      if (refusal?.status === 403) throw new ForbiddenException(refusal.msg);
      if (refusal) throw new UnauthorizedException(refusal.msg);
    }
    const body = await this.metrics.registry.metrics();
    await reply.header('content-type', this.metrics.registry.contentType).send(body);
  }
}
