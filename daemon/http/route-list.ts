// What a router serves, as (method, path) pairs: the OpenAPI document and the access matrix are
// checked against it, so a route cannot be added without being documented and tested.
import type Router from '@koa/router';

export interface RouteInfo {
  method: string;
  /** The router's path template, e.g. `/api/users/:id`. */
  path: string;
}

/** Every route of `routers` (HEAD, which koa-router adds to each GET, left out). */
export function listRoutes(...routers: Array<Router<any, any>>): RouteInfo[] {
  const out: RouteInfo[] = [];
  for (const router of routers) {
    for (const layer of router.stack) {
      if (typeof layer.path !== 'string') continue;
      for (const method of layer.methods) if (method !== 'HEAD') out.push({ method, path: layer.path });
    }
  }
  return out;
}
