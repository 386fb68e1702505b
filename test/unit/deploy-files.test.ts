import { describe, expect, it } from 'vitest';
import { metricNames, publishedPorts } from '../support/deploy-files.js';

describe('the readers of the Docker files and PromQL (test/support/deploy-files.ts)', () => {
  it('find metric names in PromQL, past functions, groupings, label matchers, ranges and numbers', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (strategy, le) (rate(a_bucket{strategy=~"$s|x"}[$__rate_interval])))')).toEqual(['a_bucket']);
    expect(metricNames('sum(rate(x_total[5m])) / ignoring (code) max without (job) (y{job="api"}) offset 1m')).toEqual(['x_total', 'y']);
  });

  it('read short and long port syntax, ranges included', () => {
    expect(publishedPorts({ ports: ['8081-8083:8080', '127.0.0.1:9090:9090', '5000', { target: 80, published: '8000' }] })).toEqual([
      { host: [8081, 8082, 8083], container: 8080 },
      { host: [9090], container: 9090 },
      { host: [8000], container: 80 },
    ]);
  });
});
