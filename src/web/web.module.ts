import { Logger, Module } from '@nestjs/common';
import { WebAssets } from './web-assets';
import { WebController } from './web.controller';

function loadAssets(): WebAssets {
  const assets = WebAssets.load();
  if (!assets.built) new Logger('Web').warn('The web pages are not built (dist/web/public is empty): run npm run build');
  return assets;
}

/** Serves the chat page at / and the admin console at /admin, built by scripts/build-web.js. */
@Module({
  controllers: [WebController],
  providers: [{ provide: WebAssets, useFactory: loadAssets }],
})
export class WebModule {}
