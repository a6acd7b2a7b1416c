// OpenTelemetry's standard variables as config.ts reads them: off unless an endpoint is set, the
// spec's endpoint and sampler rules, headers parsed and never shown.
import { ConfigError, describeConfig, loadConfig } from '../../src/config.js';

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
}

describe('tracing configuration', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT, and says so', () => {
    const config = loadConfig({});
    expect(config.tracing.tracesEndpoint).toBeUndefined();
    expect(String(describeConfig(config).tracing)).toMatch(/^off/);
  });

  it('sends traces to {endpoint}/v1/traces, or to the traces endpoint as given', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.tracesEndpoint).toBe('http://collector:4318/v1/traces');
    const both = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp' });
    expect(both.tracing.tracesEndpoint).toBe('https://traces.example/otlp');
  });

  it('OTEL_SDK_DISABLED=true turns export off whatever the endpoint', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing.tracesEndpoint).toBeUndefined();
  });

  it('defaults to the service name and the parent-based always-on sampler', () => {
    const { tracing } = loadConfig({ SERVICE_NAME: 'orders-eu', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(tracing).toMatchObject({ serviceName: 'orders-eu', sampler: 'parentbased_always_on', samplerRatio: 1 });
    expect(loadConfig({ SERVICE_NAME: 'orders-eu', OTEL_SERVICE_NAME: 'orders' }).tracing.serviceName).toBe('orders');
  });

  it('takes the spec sampler names (any case) with a ratio, and refuses others naming only the variable', () => {
    const { tracing } = loadConfig({ OTEL_TRACES_SAMPLER: 'ParentBased_TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.25' });
    expect(tracing).toMatchObject({ sampler: 'parentbased_traceidratio', samplerRatio: 0.25 });
    expect(problems({ OTEL_TRACES_SAMPLER: 'sometimes' })).toMatch(/OTEL_TRACES_SAMPLER must be one of/);
    expect(problems({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toMatch(/OTEL_TRACES_SAMPLER_ARG must be a ratio/);
    expect(problems({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(/OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/);
  });

  it('parses OTEL_EXPORTER_OTLP_HEADERS and shows only their names', () => {
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://u:pw-123@collector:4318', OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20tok-456, x-tenant=shop' });
    expect(config.tracing.headers).toEqual({ authorization: 'Bearer tok-456', 'x-tenant': 'shop' });
    const shown = JSON.stringify(describeConfig(config));
    expect(shown).not.toContain('tok-456');
    expect(shown).not.toContain('pw-123');
    expect(shown).toContain('authorization');
    const bad = problems({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' });
    expect(bad).toMatch(/OTEL_EXPORTER_OTLP_HEADERS must be comma-separated key=value pairs/);
    expect(bad).not.toContain('no-equals-sign');
  });
});
