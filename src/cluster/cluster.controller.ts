import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/access';
import { ApiR } from '../common/api-envelope.decorator';
import { ClusterService } from './cluster.service';
import { InstanceDto, ServerAddressDto } from './dto/instance.dto';
import { LocalSessions } from './local-sessions';
import { InstanceIdentity } from './instance-identity';

@ApiTags('cluster')
@Controller()
export class ClusterController {
  constructor(
    private readonly cluster: ClusterService,
    private readonly identity: InstanceIdentity,
    private readonly local: LocalSessions,
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
    return { ip: instance.ip, port: instance.port };
  }

  @Get('cluster/instances')
  @AdminOnly()
  @ApiOperation({ summary: 'Every live instance with its load' })
  @ApiR(InstanceDto, { isArray: true })
  async instances(): Promise<InstanceDto[]> {
    const live = await this.cluster.liveInstances();
    return live
      .sort((a, b) => a.startedAt - b.startedAt || a.id.localeCompare(b.id))
      .map(({ id, host, ip, port, users, connections, startedAt }) => ({
        id,
        host,
        ip,
        port,
        users,
        connections,
        startedAt: new Date(startedAt).toISOString(),
      }));
  }
}
