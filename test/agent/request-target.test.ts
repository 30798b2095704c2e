/** parseRequestTarget: the path exactly as sent and the query, or undefined for a malformed target. */
import { describe, expect, it } from 'vitest';
import { parseRequestTarget } from '../../src/agent/request-target.js';

describe('parseRequestTarget', () => {
  it('keeps an origin-form path as sent and splits the query at the first ?', () => {
    expect(parseRequestTarget('/metrics')).toEqual({ path: '/metrics', query: '' });
    expect(parseRequestTarget('/api/batches?limit=2&x=?')).toEqual({
      path: '/api/batches',
      query: 'limit=2&x=?',
    });
    for (const path of ['//x/api/status', '/metrics/../api/status', '/api/%73tatus', '/a#b', '/'])
      expect(parseRequestTarget(path)).toEqual({ path, query: '' });
  });

  it('takes the path after the authority of an absolute-form target, unresolved', () => {
    expect(parseRequestTarget('http://agent:9464/healthz')).toEqual({ path: '/healthz', query: '' });
    expect(parseRequestTarget('HTTPS://[::1]:9464//x/metrics?a=1')).toEqual({
      path: '//x/metrics',
      query: 'a=1',
    });
    expect(parseRequestTarget('http://agent/a/../api/status')).toEqual({
      path: '/a/../api/status',
      query: '',
    });
    expect(parseRequestTarget('http://agent')).toEqual({ path: '/', query: '' });
    expect(parseRequestTarget('http://agent?limit=1')).toEqual({ path: '/', query: 'limit=1' });
  });

  it('refuses what is neither origin-form nor a valid absolute-form', () => {
    for (const target of [
      'http://[::1/healthz',
      'http://a:99999/',
      'http:///healthz',
      'http://a#frag',
      'ftp://agent/metrics',
      'agent:9464',
      '*',
      'metrics',
      '',
    ])
      expect(parseRequestTarget(target), target).toBeUndefined();
  });
});
