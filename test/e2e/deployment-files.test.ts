/**
 * The deployment files stay true to the agent: the Kubernetes example's config and job validate
 * with `sidestream validate`, its probes and scrape annotations name the agent's real endpoints
 * and port, and the Dockerfile exposes that port, runs as a non-root user and checks /healthz.
 * (Building the image needs a Docker daemon, which CI does not have; see docs/deployment.md.)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { DEFAULT_HTTP } from '../../src/agent/config.js';
import { REPO_ROOT, runCli } from '../support/cli-process.js';

interface Container {
  name: string;
  args?: string[];
  ports?: { containerPort: number }[];
  livenessProbe?: { httpGet: { path: string; port: string | number } };
  readinessProbe?: { httpGet: { path: string; port: string | number } };
  env?: { name: string; valueFrom?: unknown; value?: string }[];
  volumeMounts?: { mountPath: string }[];
}

interface Manifest {
  kind: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    replicas: number;
    strategy: { type: string };
    template: {
      metadata: { annotations: Record<string, string> };
      spec: { containers: Container[]; volumes: unknown[]; securityContext: unknown };
    };
  };
}

let dir: string;
let docs: Manifest[];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sidestream-k8s-'));
  const text = await readFile(join(REPO_ROOT, 'examples/kubernetes/sidecar.yaml'), 'utf8');
  docs = parseAllDocuments(text).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJS() as Manifest;
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function kind(k: string): Manifest {
  const doc = docs.find((d) => d.kind === k);
  if (!doc) throw new Error(`no ${k} in the example`);
  return doc;
}

describe('examples/kubernetes/sidecar.yaml', () => {
  it('holds a config and a job that `sidestream validate` accepts', async () => {
    const data = kind('ConfigMap').data!;
    await writeFile(join(dir, 'sidestream.yaml'), data['sidestream.yaml']!);
    await writeFile(join(dir, 'job.mjs'), data['job.mjs']!);
    const token = kind('Secret').stringData!['http-token']!;
    const r = await runCli(['validate', '--config', join(dir, 'sidestream.yaml'), join(dir, 'job.mjs')], {
      env: { SIDESTREAM_HTTP_TOKEN: token },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
    expect(data['sidestream.yaml']).not.toMatch(/httpToken|password|secret/i);
  });

  it('runs sidestream beside the app with probes, scrape annotations and a checkpoint volume', () => {
    const deployment = kind('Deployment');
    const pod = deployment.spec!.template;
    const containers = pod.spec.containers;
    expect(containers.map((c) => c.name)).toEqual(['app', 'sidestream']);
    const agent = containers[1]!;
    const port = DEFAULT_HTTP.port;
    expect(agent.ports).toEqual([expect.objectContaining({ containerPort: port })]);
    expect(agent.livenessProbe!.httpGet.path).toBe('/healthz');
    expect(agent.readinessProbe!.httpGet.path).toBe('/readyz');
    expect(pod.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port),
      'prometheus.io/path': '/metrics',
    });
    expect(agent.args).toEqual(['run', '/app/jobs/job.mjs', '--config', '/app/jobs/sidestream.yaml']);
    expect(agent.env).toContainEqual(
      expect.objectContaining({ name: 'SIDESTREAM_HTTP_TOKEN', valueFrom: expect.anything() }),
    );
    expect(agent.volumeMounts!.map((m) => m.mountPath)).toContain('/var/lib/sidestream');
    expect(pod.spec.volumes).toContainEqual(
      expect.objectContaining({ name: 'checkpoints', persistentVolumeClaim: expect.anything() }),
    );
    expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(deployment.spec).toMatchObject({ replicas: 1, strategy: { type: 'Recreate' } });
  });
});

describe('Dockerfile', () => {
  it('builds in one stage and runs node:20-slim as a non-root user with sidestream as entrypoint', async () => {
    const text = await readFile(join(REPO_ROOT, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^FROM node:20-slim AS build$/m);
    expect(text).toMatch(/^FROM node:20-slim AS runtime$/m);
    expect(text).toMatch(/^RUN npm ci /m);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(new RegExp(`^EXPOSE ${DEFAULT_HTTP.port}$`, 'm'));
    expect(text).toMatch(/^HEALTHCHECK .*\n\s+CMD \["node", "\/app\/scripts\/docker-healthcheck.cjs"\]$/m);
    expect(text).toMatch(/^ENTRYPOINT \["sidestream"\]$/m);
    const ignore = await readFile(join(REPO_ROOT, '.dockerignore'), 'utf8');
    for (const path of ['node_modules', '.git', 'dist', '.env']) expect(ignore.split('\n')).toContain(path);
  });
});
