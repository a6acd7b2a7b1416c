// CORS per profile (the cors package): development allows loopback origins, production exactly the
// configured ones; an unlisted origin never gets Access-Control-Allow-Origin. Credentials allowed.
// One service per file: the production profile gets a file of its own (one database per process).
import { startTestService, type TestService } from '../support/service.js';

let svc: TestService;

beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.stop();
});

describe('CORS (development profile)', () => {
  it('allows a localhost origin with credentials', async () => {
    const res = await fetch(`${svc.url}/orders`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
  });

  it('gives an unlisted origin no Access-Control-Allow-Origin', async () => {
    const res = await fetch(`${svc.url}/health`, { headers: { origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
