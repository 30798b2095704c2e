import { describe, expect, it } from 'vitest';
import { isSecretKey, REDACTED, redactSecrets, redactText } from '../src/redact.js';

describe('redactText', () => {
  it.each([
    ['postgres://app:s3cr3t@db.internal:5432/orders', `postgres://${REDACTED}@db.internal:5432/orders`],
    ['postgresql://app@db/orders', `postgresql://${REDACTED}@db/orders`],
    ['tcp://carbon:hunter2@127.0.0.1:2003', `tcp://${REDACTED}@127.0.0.1:2003`],
    ['https://ghp_abc123@github.com/x/y.git', `https://${REDACTED}@github.com/x/y.git`],
    ['kafka://u:p%40ss@broker:9092', `kafka://${REDACTED}@broker:9092`],
    [
      'postgres://db/orders?sslmode=require&password=pw1&sslpassword=pw2',
      `postgres://db/orders?sslmode=require&password=${REDACTED}&sslpassword=${REDACTED}`,
    ],
    ['http://push:9091/?api_key=k&job=x', `http://push:9091/?api_key=${REDACTED}&job=x`],
    [
      "'tcp://a:b@h:1' must be tcp://HOST:PORT or udp://HOST:PORT",
      `'tcp://${REDACTED}@h:1' must be tcp://HOST:PORT or udp://HOST:PORT`,
    ],
  ])('%s', (input, expected) => {
    expect(redactText(input)).toBe(expected);
    expect(redactText(input)).not.toMatch(/s3cr3t|hunter2|ghp_abc123|p%40ss|pw1|pw2|api_key=k/);
  });

  it('leaves text without credentials alone', () => {
    for (const text of [
      'tcp://127.0.0.1:2003',
      'udp://[::1]:2003',
      '/var/lib/sidestream/clicks',
      'user@example.com wrote 127.0.0.1:9464',
      'http://127.0.0.1:9464/api/batches?limit=10',
    ]) {
      expect(redactText(text)).toBe(text);
    }
  });
});

describe('isSecretKey', () => {
  it('knows secret-looking names in any spelling', () => {
    for (const key of [
      'password',
      'PGPASSWORD',
      'db_password',
      'passwd',
      'secret',
      'clientSecret',
      'httpToken',
      'SIDESTREAM_HTTP_TOKEN',
      'sasl',
      'saslMechanism',
      'credentials',
      'apiKey',
      'api_key',
      'privateKey',
      'authorization',
      'basicAuth',
    ])
      expect(isSecretKey(key), key).toBe(true);
    for (const key of ['app', 'batchInterval', 'http', 'checkpointDir', 'graphite', 'prefix', 'url', 'host'])
      expect(isSecretKey(key), key).toBe(false);
  });
});

describe('redactSecrets', () => {
  it('hides secret keys at any depth, keeps unset ones visible as unset, and cleans URLs', () => {
    const config = {
      app: 'clicks',
      httpToken: 'tok-123',
      unsetToken: undefined,
      emptySecret: '',
      graphite: { url: 'tcp://u:graphite-pw@carbon:2003', prefix: 'prod' },
      sinks: [{ url: 'postgres://writer:pg-pw@db:5432/x', password: 'pg-pw', sasl: { mechanism: 'plain' } }],
      batchIntervalMs: 1000,
      enabled: true,
      nothing: null,
      fn: () => 'tok-123',
    };
    const shown = redactSecrets(config);
    expect(shown).toEqual({
      app: 'clicks',
      httpToken: REDACTED,
      emptySecret: '',
      graphite: { url: `tcp://${REDACTED}@carbon:2003`, prefix: 'prod' },
      sinks: [{ url: `postgres://${REDACTED}@db:5432/x`, password: REDACTED, sasl: REDACTED }],
      batchIntervalMs: 1000,
      enabled: true,
      nothing: null,
    });
    expect(JSON.stringify(shown)).not.toMatch(/tok-123|graphite-pw|pg-pw/);
  });

  it('cuts cycles instead of recursing forever', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(redactSecrets(a)).toEqual({ name: 'a', self: '[circular]' });
  });
});
