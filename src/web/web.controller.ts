import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CONTENT_SECURITY_POLICY, WebAsset, WebAssets } from './web-assets';

/** The chat page, the admin console and their assets: raw files, outside the R<T> envelope. */
@ApiExcludeController()
@Controller()
export class WebController {
  constructor(private readonly assets: WebAssets) {}

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

  private async send(reply: FastifyReply, name: string): Promise<void> {
    const asset: WebAsset | undefined = this.assets.get(name);
    if (!asset) {
      throw new NotFoundException(this.assets.built ? `No such file: ${name}` : 'The web pages are not built: run npm run build');
    }
    await reply
      .header('content-type', asset.contentType)
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(asset.body);
  }
}
