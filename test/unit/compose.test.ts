import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema, loadConfig } from '../../src/core/config.js';
import { METRIC_NAMES } from '../../src/core/metrics.js';
import {
  bindMounts,
  builtFromDockerfile,
  dockerfileCommand,
  dockerfileStages,
  environment,
  exportedSeriesNames,
  extraHosts,
  foldersImportedFrom,
  loadCompose,
  metricNames,
  mountSource,
  publishedPorts,
  interpolate,
  resolveFrom,
  type Service,
} from '../support/deploy-files.js';
import { read, root } from '../support/repository.js';

/**
 * The Docker files, checked as files: there is no Docker engine where the suite runs. What is checked is
 * what the files rely on — services, health checks, profiles, mounted files, environment variables the
 * app reads, ports, and metric names the dashboard queries — not that the images build or run.
 */

const LOAD_TEST_COMPOSE = 'load-test/docker-compose.yml';
const LOCUST_WEB_UI_PORT = 8089;
const compose = loadCompose('docker-compose.yml');
const services = compose.services;
/** The services whose image is this repository's Dockerfile: they run the lab and read configSchema. */
const appServices = Object.entries(services).filter(([, service]) => builtFromDockerfile(compose, service));
const configKeys = Object.keys(configSchema.shape);
const defaults = loadConfig({});

describe('docker-compose.yml: MySQL and Redis, what the tests and the demo on the host need', () => {
  it('runs MySQL 8 and Redis 7 in the default set, each with a health check', () => {
    expect(services.mysql?.image).toMatch(/^mysql:8(\.|$)/);
    expect(services.redis?.image).toMatch(/^redis:7(\.|-|$)/);
    for (const name of ['mysql', 'redis']) {
      expect(services[name]!.profiles, name).toBeUndefined();
      expect(services[name]!.healthcheck?.test, name).toEqual(expect.arrayContaining([expect.any(String)]));
    }
  });

  it('publishes them on the host where MYSQL_URL and REDIS_URL point by default', () => {
    const mysqlUrl = new URL(defaults.MYSQL_URL);
    const redisUrl = new URL(defaults.REDIS_URL);
    expect(publishedPorts(services.mysql!)).toContainEqual({ host: [Number(mysqlUrl.port)], container: 3306 });
    expect(publishedPorts(services.redis!)).toContainEqual({ host: [Number(redisUrl.port)], container: 6379 });
    // The default URL's user and database exist in the container: root with an empty password, coupon_lab.
    const mysqlEnv = environment(services.mysql!);
    expect(mysqlUrl.username).toBe('root');
    expect(mysqlEnv.MYSQL_ALLOW_EMPTY_PASSWORD).toBe('yes');
    expect(mysqlEnv.MYSQL_DATABASE).toBe(mysqlUrl.pathname.slice(1));
  });

  it('keeps Redis append-only, so accepted requests survive a restart', () => {
    const command = [services.redis!.command].flat().join(' ');
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--appendfsync everysec/);
  });
});

describe('docker-compose.yml: RabbitMQ, for the broker strategies', () => {
  it('runs RabbitMQ in the default set, with a health check, published where AMQP_URL points by default', () => {
    const rabbitmq = services.rabbitmq!;
    expect(rabbitmq.image).toMatch(/^rabbitmq:3\./);
    expect(rabbitmq.profiles).toBeUndefined();
    const amqpUrl = new URL(defaults.AMQP_URL);
    expect(publishedPorts(rabbitmq)).toContainEqual({ host: [Number(amqpUrl.port)], container: 5672 });
    // The default URL's user may connect through the published port, from outside the container.
    expect(decodeURIComponent(amqpUrl.username)).toBe('guest');
    expect(environment(rabbitmq).RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS).toMatch(/-rabbit loopback_users \[\]/);
  });
});

describe('docker-compose.yml: the lab itself', () => {
  it('builds the API and the consumer from the Dockerfile and runs both by default', () => {
    expect(appServices.map(([name]) => name).sort()).toEqual(['api', 'broker-consumer', 'consumer']);
    for (const [name, service] of appServices) expect(service.profiles, name).toBeUndefined();
  });

  it('starts them only once MySQL and Redis are healthy', () => {
    for (const [name, service] of appServices) {
      for (const dependency of ['mysql', 'redis']) {
        expect(service.depends_on?.[dependency]?.condition, `${name} → ${dependency}`).toBe('service_healthy');
        expect(services[dependency]!.healthcheck, dependency).toBeDefined();
      }
    }
  });

  it('starts them only once RabbitMQ is healthy too, the broker consumer above all', () => {
    expect(services.rabbitmq?.healthcheck?.test).toEqual(expect.arrayContaining([expect.any(String)]));
    for (const [name, service] of appServices) expect(service.depends_on?.rabbitmq?.condition, name).toBe('service_healthy');
  });

  it('gives them only environment variables the app reads (keys of configSchema), with values it accepts', () => {
    for (const [name, service] of appServices) {
      const env = environment(service);
      expect(Object.keys(env).length, name).toBeGreaterThan(0);
      for (const key of Object.keys(env)) expect(configKeys, `${name}: ${key}`).toContain(key);
      expect(() => loadConfig(env), name).not.toThrow();
    }
  });

  it('points them at the compose services, not at the host', () => {
    for (const [name, service] of appServices) {
      const config = loadConfig(environment(service));
      expect(new URL(config.MYSQL_URL).host, name).toBe('mysql:3306');
      expect(new URL(config.REDIS_URL).host, name).toBe('redis:6379');
      expect(new URL(config.AMQP_URL).host, name).toBe('rabbitmq:5672');
    }
  });

  it('runs the API without the consumer inside, in replicas, each published on a host port of its own', () => {
    const api = services.api!;
    const config = loadConfig(environment(api));
    expect(config.CONSUMER_IN_PROCESS).toBe(false);
    const replicas = Number(interpolate(String(api.deploy?.replicas)));
    expect(replicas).toBeGreaterThanOrEqual(2);
    const published = publishedPorts(api).find((port) => port.container === config.PORT);
    expect(published, 'a host port range for the API port').toBeDefined();
    expect(published!.host.length, 'one host port per replica').toBeGreaterThanOrEqual(replicas);
    // npm start on the host keeps its default port.
    expect(published!.host).not.toContain(defaults.PORT);
  });

  it('runs the API as `npm start` and the consumer as `npm run consumer` do, with node itself as PID 1', () => {
    const image = dockerfileCommand();
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    // The same `node dist/bin/coupon-lab.js <command>`; the script's `exec` is the shell's, not the image's.
    const asNode = (script: string) => script.replace(/^exec /, '').split(' ');
    expect([...image.entrypoint, ...image.cmd]).toEqual(asNode(scripts.start!));
    expect(services.api!.command).toBeUndefined();
    expect([...image.entrypoint, ...[services.consumer!.command].flat()]).toEqual(asNode(scripts.consumer!));
    expect([...image.entrypoint, ...[services['broker-consumer']!.command].flat()]).toEqual(asNode(scripts['broker-consumer']!));
  });

  it('checks the health of each app container on the port it listens on', () => {
    const config = (name: string) => loadConfig(environment(services[name]!));
    expect([services.api!.healthcheck?.test].flat().join(' ')).toContain(`//127.0.0.1:${config('api').PORT}/health`);
    expect([services.consumer!.healthcheck?.test].flat().join(' ')).toContain(`//127.0.0.1:${config('consumer').METRICS_PORT}/metrics`);
    expect([services['broker-consumer']!.healthcheck?.test].flat().join(' ')).toContain(`//127.0.0.1:${config('broker-consumer').METRICS_PORT}/metrics`);
  });

  it("publishes no host port twice, nor those of `npm start` and of the load test's web UI", () => {
    const published = Object.values(services).flatMap((service) => publishedPorts(service).flatMap((binding) => binding.host));
    expect(new Set(published).size).toBe(published.length);
    expect(published).not.toContain(defaults.PORT);
    expect(published).not.toContain(LOCUST_WEB_UI_PORT);
  });

  it('mounts only files and directories that exist in the repository', () => {
    const mounts = Object.values(services).flatMap((service) => bindMounts(compose, service));
    expect(mounts.length).toBeGreaterThan(0);
    for (const mount of mounts) expect(existsSync(mount.source), relative(root, mount.source)).toBe(true);
  });
});

describe('docker-compose.yml: Prometheus and Grafana, under the metrics profile', () => {
  it('puts both under the metrics profile', () => {
    expect(services.prometheus?.profiles).toEqual(['metrics']);
    expect(services.grafana?.profiles).toEqual(['metrics']);
  });

  it('scrapes every replica of every app service, on the port it serves /metrics on', () => {
    const prometheusYml = mountedFile(services.prometheus!, '/etc/prometheus/prometheus.yml');
    const config = parse(readFileSync(prometheusYml, 'utf8')) as { scrape_configs: Record<string, any>[] };
    const jobs = new Map(config.scrape_configs.map((job) => [job.job_name as string, job]));
    const metricsPort = { api: 'PORT', consumer: 'METRICS_PORT', 'broker-consumer': 'METRICS_PORT' } as const;
    for (const [name, service] of appServices) {
      const job = jobs.get(name);
      expect(job, `a scrape job for ${name}`).toBeDefined();
      // One A record per replica: a DNS lookup of the service name, not a fixed target.
      const discovery = job!.dns_sd_configs?.[0];
      expect(discovery?.names, name).toEqual([name]);
      expect(discovery?.type, name).toBe('A');
      expect(discovery?.port, name).toBe(loadConfig(environment(service))[metricsPort[name as keyof typeof metricsPort]]);
    }
  });

  it('provisions Grafana with the Prometheus datasource and the dashboard directory it mounts', () => {
    const grafana = services.grafana!;
    const datasource = grafanaDatasource();
    expect(datasource.type).toBe('prometheus');
    expect(new URL(datasource.url).host).toBe(`prometheus:${publishedPorts(services.prometheus!)[0]!.container}`);

    const providers = provisioningFiles('dashboards').flatMap((file) => (parse(readFileSync(file, 'utf8')) as { providers: any[] }).providers);
    expect(providers.length).toBeGreaterThan(0);
    for (const provider of providers) {
      const directory = mountSource(compose, grafana, provider.options.path);
      expect(directory, `mounted at ${provider.options.path}`).toBeDefined();
      expect(existsSync(join(directory!, 'coupon-lab.json'))).toBe(true);
    }
    expect(existsSync(mountedFile(grafana, environment(grafana).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!))).toBe(true);
  });

  it('lets anyone view, and admin/admin sign in', () => {
    const env = environment(services.grafana!);
    expect(env).toMatchObject({ GF_AUTH_ANONYMOUS_ENABLED: 'true', GF_AUTH_ANONYMOUS_ORG_ROLE: 'Viewer' });
    expect(env).toMatchObject({ GF_SECURITY_ADMIN_USER: 'admin', GF_SECURITY_ADMIN_PASSWORD: 'admin' });
  });
});

describe('Dockerfile', () => {
  const stages = dockerfileStages();
  const last = stages.at(-1)!;

  it('has stages that install from the lockfile and build (type-check and compile), and a slim runtime stage as the last one', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const all = stages.flatMap((stage) => stage.lines);
    expect(all).toContainEqual(expect.stringMatching(/^RUN npm ci(?! --omit)/));
    expect(all).toContainEqual(expect.stringMatching(/^RUN npm run build/));
    expect(resolveFrom(last.from)).toMatch(/^node:20.*slim/);
    expect(last.lines.join('\n')).not.toMatch(/^RUN npm run build/m);
  });

  it('runs as the node user with production dependencies only', () => {
    expect(last.lines).toContain('USER node');
    const installs = stages.flatMap((stage) => stage.lines).filter((line) => /^RUN npm ci /.test(line));
    const copiedModules = last.lines.find((line) => /^COPY --from=\S+ \S*node_modules/.test(line));
    expect(copiedModules).toBeDefined();
    const modulesStage = stages.find((stage) => stage.name === copiedModules!.match(/--from=(\S+)/)![1]);
    expect(modulesStage?.lines.join('\n')).toMatch(/npm ci --omit=dev/);
    expect(installs.length).toBeGreaterThanOrEqual(2);
  });

  it('copies the compiled JavaScript from the stage that builds it, so the type check cannot be skipped', () => {
    const built = stages.filter((stage) => stage.lines.some((line) => line.startsWith('RUN npm run build'))).map((stage) => stage.name);
    const copied = last.lines.filter((line) => built.some((name) => line.startsWith(`COPY --from=${name} `)));
    expect(copied).toContainEqual(expect.stringMatching(/ \/app\/dist /));
    // Nothing to transpile at run time: no sources, and tsx not among the production dependencies.
    expect(last.lines.join('\n')).not.toMatch(/\/app\/(src|bin|bench) /);
    expect(Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies)).not.toContain('tsx');
  });

  it('copies only paths that exist and that .dockerignore lets into the context', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toContain('node_modules');
    const sources = stages
      .flatMap((stage) => stage.lines)
      .filter((line) => /^COPY (?!--from)/.test(line))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(expect.arrayContaining(['package-lock.json', 'src']));
    for (const source of sources) {
      expect(existsSync(join(root, source)), source).toBe(true);
      expect(ignored, source).not.toContain(source);
    }
  });

  it('compiles every folder the CLI imports from, statically or when a command runs, into the dist/ the image runs', () => {
    const building = stages.find((stage) => stage.lines.some((line) => line.startsWith('RUN npm run build')));
    const copied = (building?.lines ?? []).flatMap((line) => line.match(/^COPY (\S+) \.\/\1$/)?.[1] ?? []);
    const compiled = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
    const folders = [...foldersImportedFrom('bin/coupon-lab.ts')];
    expect(folders).toEqual(expect.arrayContaining(['bin', 'src', 'bench', 'demo', 'load-test', 'lab-client']));
    for (const folder of folders) {
      expect(copied, folder).toContain(folder);
      expect(compiled, folder).toContain(folder);
    }
  });
});

describe('the Grafana dashboard', () => {
  const text = read('deploy/grafana/dashboards/coupon-lab.json');
  // A file that does not parse fails the first test below, not the collection of the whole file.
  const dashboard = (() => {
    try {
      return JSON.parse(text) as Record<string, any>;
    } catch {
      return { panels: [] };
    }
  })();
  const panels = dashboard.panels as Record<string, any>[];
  const queried = panels.filter((panel) => panel.type !== 'row');
  const exprs = queried.flatMap((panel) => (panel.targets as { expr: string }[]).map((target) => target.expr));

  it('is a dashboard Grafana loads: JSON, uid, title, schema version, panels on the 24-column grid', () => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(dashboard).toMatchObject({ uid: 'coupon-lab', title: expect.any(String) });
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    for (const panel of panels) {
      const { x, y, w, h } = panel.gridPos;
      expect([x, y, w, h].every(Number.isInteger) && x >= 0 && w > 0 && h > 0 && x + w <= 24, panel.title).toBe(true);
    }
  });

  it('queries the provisioned datasource in every panel and target', () => {
    const { uid } = grafanaDatasource();
    expect(queried.length).toBeGreaterThan(0);
    for (const panel of queried) {
      expect(panel.datasource?.uid, panel.title).toBe(uid);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets) {
        expect(target.datasource?.uid, panel.title).toBe(uid);
        expect(target.expr, panel.title).toMatch(/\S/);
      }
    }
  });

  it('queries only metrics the app exports', async () => {
    const exported = await exportedSeriesNames();
    for (const expr of exprs) {
      const names = metricNames(expr);
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect(exported, `${name} in ${expr}`).toContain(name);
    }
  });

  it('shows every strategy side by side, and each thing the lab is compared on', () => {
    // The strategies come from what the servers report, so a new strategy needs no edit here.
    const variable = (dashboard.templating.list as Record<string, any>[]).find((item) => item.name === 'strategy');
    expect(variable?.query.query).toBe(`label_values(${METRIC_NAMES.issues}, strategy)`);
    expect(queried.filter((panel) => panel.repeat === 'strategy').length).toBeGreaterThan(0);
    const used = new Set(exprs.flatMap(metricNames));
    for (const name of ['coupon_lab_issue_duration_seconds_bucket', 'coupon_lab_lock_wait_seconds_bucket', 'coupon_lab_consumer_rows_written_total']) {
      expect(used, name).toContain(name);
    }
    expect(exprs.some((expr) => /histogram_quantile\(.*by \([^)]*le[^)]*\).*coupon_lab_issue_duration_seconds_bucket/.test(expr))).toBe(true);
  });
});

describe('load-test/docker-compose.yml (being reworked elsewhere: its generic shape only)', () => {
  it('has a master publishing the web UI on 8089 and workers, both reaching the host as host.docker.internal', () => {
    const { master, worker } = loadCompose(LOAD_TEST_COMPOSE).services;
    expect(master).toBeDefined();
    expect(worker).toBeDefined();
    expect(publishedPorts(master!)).toContainEqual({ host: [LOCUST_WEB_UI_PORT], container: LOCUST_WEB_UI_PORT });
    for (const service of [master!, worker!]) expect(extraHosts(service)['host.docker.internal']).toMatch(/\S/);
  });
});

// ——— what the tests above read through the compose file ———

function mountedFile(service: Service, containerPath: string): string {
  const source = mountSource(compose, service, containerPath);
  expect(source, `${containerPath} is mounted from the repository`).toBeDefined();
  expect(statSync(source!).isFile(), containerPath).toBe(true);
  return source!;
}

/** Every YAML file under one directory of Grafana's mounted provisioning. */
function provisioningFiles(kind: 'datasources' | 'dashboards'): string[] {
  const directory = mountSource(compose, services.grafana!, `/etc/grafana/provisioning/${kind}`)!;
  return readdirSync(directory)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join(directory, name));
}

function grafanaDatasource(): { uid: string; type: string; url: string } {
  const datasources = provisioningFiles('datasources').flatMap((file) => (parse(readFileSync(file, 'utf8')) as { datasources: any[] }).datasources);
  expect(datasources).toHaveLength(1);
  return datasources[0];
}
