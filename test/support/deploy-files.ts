import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { createMetrics } from '../../src/core/metrics.js';
import { read, relativeImports, root } from './repository.js';

/**
 * Readers of the Docker files and the Grafana dashboard's PromQL, for the tests that check them as
 * files (test/unit/compose.test.ts): there is no Docker engine where the suite runs. Their own
 * tests are in test/unit/deploy-files.test.ts.
 */

export type Service = Record<string, any>;
export interface ComposeFile {
  path: string;
  services: Record<string, Service>;
}

/** A compose file as compose reads it: YAML merge keys (`<<: *app`) resolved. */
export function loadCompose(path: string): ComposeFile {
  const parsed = parse(read(path), { merge: true }) as { services?: Record<string, Service> } | null;
  return { path, services: parsed?.services ?? {} };
}

// ——— reading compose files ———

/** `${NAME:-default}`, `${NAME-default}` and `${NAME}` with their defaults: the shell's variables are not consulted. */
export function interpolate(value: string): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (_match, _name: string, fallback?: string) => fallback ?? '');
}

/** A service's environment as a map, from either the list or the map form, defaults interpolated. */
export function environment(service: Service): Record<string, string> {
  const raw = service.environment ?? {};
  const entries: [string, string][] = Array.isArray(raw)
    ? raw.map((item: string) => {
        const [key, ...value] = String(item).split('=');
        return [key!, value.join('=')];
      })
    : Object.entries(raw).map(([key, value]) => [key, value === null ? '' : String(value as string | number | boolean)]);
  return Object.fromEntries(entries.map(([key, value]) => [key, interpolate(value)]));
}

export interface PortBinding {
  host: number[];
  container: number;
}

/** Host ports a service publishes (a range gives several) and the container port each maps to. */
export function publishedPorts(service: Service): PortBinding[] {
  return (service.ports ?? []).flatMap((port: string | number | { published?: string | number; target?: string | number }): PortBinding[] => {
    if (typeof port === 'object') return port.published === undefined ? [] : [{ host: range(String(port.published)), container: Number(port.target) }];
    const parts = interpolate(String(port))
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    if (parts.length < 2) return [];
    return [{ host: range(parts.at(-2)!), container: Number(parts.at(-1)) }];
  });
}

function range(text: string): number[] {
  const [first, last = first] = text.split('-').map(Number) as [number, number?];
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}

export function extraHosts(service: Service): Record<string, string> {
  const raw = service.extra_hosts ?? {};
  if (!Array.isArray(raw)) return raw;
  return Object.fromEntries(raw.map((entry: string) => [entry.slice(0, entry.search(/[:=]/)), entry.slice(entry.search(/[:=]/) + 1)]));
}

/** Bind mounts (a host path, relative to the compose file) with the container path they appear at. */
export function bindMounts(file: ComposeFile, service: Service): { source: string; target: string }[] {
  return (service.volumes ?? []).flatMap((volume: string | { type?: string; source: string; target: string }) => {
    const [source, target] = typeof volume === 'string' ? volume.split(':') : [volume.source, volume.target];
    if (!source || !target || !/^[./]/.test(source)) return []; // a named volume
    return [{ source: resolve(root, dirname(file.path), interpolate(source)), target }];
  });
}

/** The host path a container path of the service comes from, through the bind mount that covers it. */
export function mountSource(file: ComposeFile, service: Service, containerPath: string): string | undefined {
  const mount = bindMounts(file, service).find(({ target }) => containerPath === target || containerPath.startsWith(`${target}/`));
  return mount && join(mount.source, containerPath.slice(mount.target.length));
}

export function builtFromDockerfile(file: ComposeFile, service: Service): boolean {
  if (service.build === undefined) return false;
  const build = typeof service.build === 'string' ? { context: service.build } : service.build;
  const dockerfile = resolve(root, dirname(file.path), build.context ?? '.', build.dockerfile ?? 'Dockerfile');
  return dockerfile === join(root, 'Dockerfile') && existsSync(dockerfile);
}

// ——— reading the Dockerfile ———

export interface Stage {
  name: string | undefined;
  from: string;
  lines: string[];
}

/** The Dockerfile's instructions, continuation lines joined, grouped by stage; ARGs before the first FROM kept apart. */
function dockerfileLines(): string[] {
  return read('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim().replace(/\s+/g, ' '))
    .filter((line) => line && !line.startsWith('#'));
}

export function dockerfileStages(): Stage[] {
  const stages: Stage[] = [];
  for (const line of dockerfileLines()) {
    const from = line.match(/^FROM (?:--platform=\S+ )?(\S+)(?: AS (\S+))?$/i);
    if (from) stages.push({ from: from[1]!, name: from[2], lines: [] });
    else stages.at(-1)?.lines.push(line);
  }
  return stages;
}

/** A FROM image with the default of an ARG it names filled in. */
export function resolveFrom(image: string): string {
  const args = Object.fromEntries(
    dockerfileLines().flatMap((line) => {
      const arg = line.match(/^ARG (\w+)=(\S+)$/);
      return arg ? [[arg[1]!, arg[2]!]] : [];
    }),
  );
  return image.replace(/\$\{?(\w+)\}?/g, (_match, name: string) => args[name] ?? '');
}

export function dockerfileCommand(): { entrypoint: string[]; cmd: string[] } {
  const last = dockerfileStages().at(-1)!.lines;
  const json = (instruction: string) => {
    const line = last.filter((item) => item.startsWith(`${instruction} `)).at(-1);
    return line ? (JSON.parse(line.slice(instruction.length + 1)) as string[]) : [];
  };
  return { entrypoint: json('ENTRYPOINT'), cmd: json('CMD') };
}

/**
 * The top-level folders whose modules `entry` imports, directly or through them: what the image must hold
 * for the CLI to load. Relative imports only; packages come from node_modules.
 */
export function foldersImportedFrom(entry: string): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...relativeImports(file).map((target) => target.replace(/\.js$/, '.ts')));
  }
  return new Set([...seen].map((file) => file.split('/')[0]!));
}

// ——— metric names ———

/**
 * Names of every series the app exports: each metric's own, and a histogram's _bucket, _sum and _count.
 * The consumer-lag gauges exist in a process that runs a consumer, which is what watching the lag stands for.
 */
export async function exportedSeriesNames(): Promise<string[]> {
  const exported = createMetrics();
  exported.watchConsumerLag(async () => ({ pending: 0, oldestAgeSeconds: 0 }));
  const metrics = await exported.registry.getMetricsAsJSON();
  return metrics.flatMap(({ name, type }) => (String(type) === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name]));
}

const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'inf', 'nan']);

/** The metric names a PromQL expression selects: identifiers left once strings, label matchers, groupings and ranges are removed, that are not functions. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names = [...bare.matchAll(/(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)].map((match) => match[1]!);
  return [...new Set(names.filter((name) => !PROMQL_WORDS.has(name.toLowerCase())))];
}
