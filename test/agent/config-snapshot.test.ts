/**
 * The configuration a metadata checkpoint records: every setting the agent resolved, for
 * diagnosis, but never the HTTP token nor a URL's credentials, however the checkpoint is read
 * (as JSON or as the v8-serialized bytes the checkpoint file holds).
 */
import { serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/agent/config.js';
import { configSnapshot } from '../../src/agent/config-snapshot.js';

const TOKEN = 'tok-snapshot-0f3c9a7d5e1b2468';
const PUSH_PASSWORD = 'PushS3cret-do-not-leak';

describe('configSnapshot', () => {
  it('keeps the settings and only the fact that a secret was set', async () => {
    const resolved = await resolveConfig({
      defaultApp: 'orders',
      env: {
        SIDESTREAM_HTTP_TOKEN: TOKEN,
        SIDESTREAM_PUSHGATEWAY: `https://pusher:${PUSH_PASSWORD}@gateway.internal:9091/prefix`,
        SIDESTREAM_GRAPHITE: 'tcp://127.0.0.1:2003',
      },
      flags: { checkpointDir: '/var/lib/sidestream/orders', batchInterval: '2s' },
    });
    if (!resolved.ok) throw new Error(resolved.problems.map((p) => p.message).join('\n'));
    const snapshot = configSnapshot(resolved.config);

    for (const text of [JSON.stringify(snapshot), serialize(snapshot).toString('latin1')]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(PUSH_PASSWORD);
      expect(text).not.toContain('pusher');
    }
    expect(snapshot).toMatchObject({
      app: 'orders',
      batchIntervalMs: 2000,
      checkpointDir: '/var/lib/sidestream/orders',
      httpToken: '[redacted]',
      pushgateway: { url: 'https://[redacted]@gateway.internal:9091/prefix' },
      graphite: 'tcp://127.0.0.1:2003',
      http: { host: '127.0.0.1', port: 9464 },
    });
  });

  it('leaves an unset secret out, so a reader can tell "none" from "hidden"', async () => {
    const resolved = await resolveConfig({ defaultApp: 'orders' });
    if (!resolved.ok) throw new Error(resolved.problems.map((p) => p.message).join('\n'));
    const snapshot = configSnapshot(resolved.config);
    expect(snapshot).not.toHaveProperty('httpToken');
    expect(snapshot).not.toHaveProperty('pushgateway');
    expect(snapshot.app).toBe('orders');
  });
});
