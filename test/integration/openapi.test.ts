// The OpenAPI document against the routes the real apps serve: a route missing from it fails.
import t from 'tap';
import { openApiPath } from '../../daemon/http/openapi.ts';
import { ERROR_STATUS } from '../../daemon/errors.ts';
import { startSatellite, http } from '../helpers/satellite.ts';
import { control } from '../helpers/control.ts';

t.test('GET /api/openapi.json documents every route of the admin and device apps', async (t) => {
  const sat = await startSatellite(t);
  const res = await http('GET', `${sat.admin}/api/openapi.json`);
  t.equal(res.status, 200, 'no session needed');
  t.match(res.headers['content-type'], /application\/json/);
  const doc = res.body;
  t.equal(doc.openapi, '3.1.0');
  t.match(doc.info, { title: 'Outpost', version: /^\d+\.\d+\.\d+/ });
  t.same((await control(sat.socketPath, 'GET', '/api/openapi.json')).body, doc, 'the control socket serves the same document');

  t.ok(sat.routes.admin.length > 20 && sat.routes.device.length >= 6, 'the apps list their routes');
  for (const [app, routes] of [['admin', sat.routes.admin], ['device', sat.routes.device]] as const) {
    for (const r of routes) {
      const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
      t.ok(op, `${app}: ${r.method} ${r.path} is documented`);
      if (op) t.ok(Object.keys(op.responses).length > 0, `${r.method} ${r.path} has responses`);
    }
  }
  for (const r of sat.routes.device) {
    if (r.path.startsWith('/v1/')) t.match(doc.paths[r.path].servers, [{ description: 'the device listener' }], `${r.path} is on the device listener`);
  }

  // Every error code a response names is in the catalogue, with its status.
  for (const [p, item] of Object.entries<any>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (method === 'servers') continue;
      for (const [status, response] of Object.entries<any>(op.responses)) {
        if (Number(status) < 400) continue;
        for (const code of String(response.description).split(', ')) {
          t.equal((ERROR_STATUS as Record<string, number>)[code], Number(status), `${method.toUpperCase()} ${p}: ${code} is ${status}`);
        }
      }
    }
  }
  t.same(doc.components.schemas.Error.properties.error.properties.code.enum, Object.keys(ERROR_STATUS));
  // Request bodies come from the schemas the routes validate with: unknown fields are refused.
  t.equal(doc.paths['/api/virtual-accounts'].post.requestBody.content['application/json'].schema.additionalProperties, false);
  t.match(doc.paths['/api/users/{id}/password'].post.requestBody.content['application/json'].schema.properties.newPassword, { minLength: 12 });
});
