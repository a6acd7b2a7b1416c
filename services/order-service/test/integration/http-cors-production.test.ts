// CORS per profile (the cors package): development allows loopback origins, production exactly the
// configured ones; an unlisted origin never gets Access-Control-Allow-Origin. Credentials allowed.
// One service per file: the production profile gets a file of its own (one database per process).
import { startTestService, type TestService } from '../support/service.js';

describe('CORS (production profile)', () => {
  let prod: TestService;
  beforeAll(async () => {
    prod = await startTestService({ env: { ENVIRONMENT: 'production', CORS_ORIGINS: 'https://shop.example' } });
  });
  afterAll(async () => {
    await prod?.stop();
  });

  it('allows a configured origin', async () => {
    const res = await fetch(`${prod.url}/health`, { headers: { origin: 'https://shop.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('denies localhost and unlisted origins', async () => {
    for (const origin of ['http://localhost:3000', 'https://evil.example', 'https://shop.example.evil.example']) {
      const res = await fetch(`${prod.url}/health`, { headers: { origin } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
