#!/usr/bin/env node
// The container image's HEALTHCHECK (see Dockerfile): GET /healthz on the port the agent listens
// on (SIDESTREAM_HTTP, default 0.0.0.0:9464), through loopback. Exit 0 when it answers 200.
const http = require('node:http');

const address = process.env.SIDESTREAM_HTTP || '127.0.0.1:9464';
const port = Number(address.slice(address.lastIndexOf(':') + 1)) || 9464;
const host = /^(0\.0\.0\.0|\[?::\]?)$/.test(address.slice(0, address.lastIndexOf(':')))
  ? '127.0.0.1'
  : address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');

const req = http.get({ host, port, path: '/healthz', timeout: 2500 }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', () => process.exit(1));
