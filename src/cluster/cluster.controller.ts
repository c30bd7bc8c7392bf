import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CloseCode, MessageType } from '../protocol';
import { AdminOnly, ClusterAccess } from '../common/access';
import { ApiR } from '../common/api-envelope.decorator';
import { refusalError } from '../common/error-mapping';
import { RebalanceService } from './rebalance.service';
import { ClusterService } from './cluster.service';
import { InstanceDto, RebalanceMoveDto, ServerAddressDto } from './dto/instance.dto';
import { RebalanceQueryDto } from './dto/rebalance-query.dto';
import { LocalSessions } from './local-sessions';
import { InstanceIdentity } from './instance-identity';
import { ClusterStatsDto } from './dto/stats.dto';
import { StatsService } from './stats.service';

@ApiTags('cluster')
@Controller()
export class ClusterController {
  constructor(
    private readonly cluster: ClusterService,
    private readonly identity: InstanceIdentity,
    private readonly local: LocalSessions,
    private readonly rebalance: RebalanceService,
    private readonly stats: StatsService,
  ) {}

  @Get('getOnlineUserCount')
  @ApiOperation({ summary: 'Distinct logged-in users on this instance' })
  @ApiR('integer')
  onlineUserCount(): number {
    return this.local.userCount;
  }

  @Get('port')
  @ApiOperation({ summary: 'The WebSocket port of this instance' })
  @ApiR('integer')
  port(): number {
    return this.identity.port;
  }

  @Get('serverAddress')
  @ApiOperation({ summary: 'The live instance with the fewest connections, for a client to connect to' })
  @ApiR(ServerAddressDto)
  async serverAddress(): Promise<ServerAddressDto> {
    const instance = await this.cluster.leastLoaded();
    return { ip: instance.ip, port: instance.port, url: instance.url };
  }

  @Get('cluster/instances')
  @AdminOnly()
  @ApiOperation({ summary: 'Every live instance with its load' })
  @ApiR(InstanceDto, { isArray: true })
  async instances(): Promise<InstanceDto[]> {
    const live = await this.cluster.liveInstances();
    return live
      .sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id))
      .map(({ id, host, ip, port, url, users, connections, startedAt, draining }) => ({
        id,
        host,
        ip,
        port,
        url,
        users,
        connections,
        startedAt: new Date(startedAt).toISOString(),
        draining,
      }));
  }

  @Get('cluster/stats')
  @AdminOnly()
  @ApiOperation({ summary: "Each live instance's samples of the last 15 minutes (connections, messages, logins, refusals, moves)" })
  @ApiR(ClusterStatsDto)
  clusterStats(): Promise<ClusterStatsDto> {
    return this.stats.clusterStats();
  }

  @Post('reBalance/handler')
  @HttpCode(200)
  @ClusterAccess()
  @ApiOperation({
    summary:
      'Move that many random connections of this instance to `host` (a live instance): ' +
      `type ${MessageType.ReBalance}, then ${CloseCode.Moved} after the grace period`,
  })
  @ApiR('boolean', { refusal: 'host is not a live instance, or is this one' })
  async handleRebalance(@Query() { host, reBalanceNumber }: RebalanceQueryDto): Promise<boolean> {
    const result = await this.rebalance.acceptOrder(host, reBalanceNumber);
    if (!result.ok) throw refusalError(result);
    return result.moved > 0;
  }

  @Post('reBalance')
  @HttpCode(200)
  @AdminOnly()
  @ApiOperation({ summary: 'Run a cluster rebalance now (no cooldown); returns the moves ordered' })
  @ApiR(RebalanceMoveDto, { isArray: true })
  rebalanceNow(): Promise<RebalanceMoveDto[]> {
    return this.rebalance.rebalance(true);
  }
}
