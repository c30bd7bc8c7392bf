import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ClusterService } from '../cluster/cluster.service';
import { InstanceIdentity } from '../cluster/instance-identity';
import { CONTENT_SECURITY_POLICY, WebAsset, WebAssets, contentSecurityPolicy } from './web-assets';

/** The chat page, the admin console and their assets: raw files, outside the R<T> envelope. */
@ApiExcludeController()
@Controller()
export class WebController {
  constructor(
    private readonly assets: WebAssets,
    private readonly cluster: ClusterService,
    private readonly identity: InstanceIdentity,
  ) {}

  @Get()
  chat(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'chat.html');
  }

  @Get('admin')
  admin(@Res() reply: FastifyReply): Promise<void> {
    return this.send(reply, 'admin.html');
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() reply: FastifyReply): Promise<void> {
    // Pages are served by their own routes, never as assets.
    if (name.endsWith('.html')) throw new NotFoundException(`Cannot GET /assets/${name}`);
    return this.send(reply, name);
  }

  /** A page may follow a move (type 21) to the other live instances, and connect nowhere else. */
  private async pagePolicy(): Promise<string> {
    const others = await this.cluster.activeInstances().catch(() => []);
    return contentSecurityPolicy(others.filter((i) => i.id !== this.identity.id).map((i) => `ws://${i.host}`));
  }

  private async send(reply: FastifyReply, name: string): Promise<void> {
    const asset: WebAsset | undefined = this.assets.get(name);
    if (!asset) {
      throw new NotFoundException(this.assets.built ? `No such file: ${name}` : 'The web pages are not built: run npm run build');
    }
    await reply
      .header('content-type', asset.contentType)
      .header('content-security-policy', name.endsWith('.html') ? await this.pagePolicy() : CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(asset.body);
  }
}
