import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ClusterService } from '../cluster/cluster.service';
import { CONTENT_SECURITY_POLICY, WebAsset, WebAssets, contentSecurityPolicy, webSocketOrigins } from './web-assets';

/** The chat page, the admin console and their assets: raw files, outside the R<T> envelope. */
@ApiExcludeController()
@Controller()
export class WebController {
  constructor(
    private readonly assets: WebAssets,
    private readonly cluster: ClusterService,
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

  /**
   * A page may follow a move (a ReBalance push) to the public URL of a live instance, and connect nowhere
   * else. This instance's own is listed too: behind a load balancer the page's origin is the
   * balancer's, and a page whose WebSocket went to another instance may be moved back here. An
   * instance alone (the embedded mode) has nowhere to move a page: its own origin is all it needs.
   */
  private async pagePolicy(): Promise<string> {
    const live = await this.cluster.activeInstances().catch(() => []);
    return contentSecurityPolicy(live.length > 1 ? webSocketOrigins(live.map((i) => i.url)) : []);
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
