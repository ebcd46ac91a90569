import { readFileSync } from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';

import { SETTINGS } from '../../src/config';

/**
 * The container image and the compose file, read as their tools would read them. Neither is
 * built here: the machine has no route to a registry for the Node.js base image.
 */
const DEPLOY = path.resolve(__dirname, '..', '..', 'deploy');
const KNOWN_SETTINGS = new Set<string>(SETTINGS.map((setting) => setting.env));

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function instructions(): Instruction[] {
  const text = readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8').replace(/\\\n\s*/g, ' ');
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function finalStage(): Instruction[] {
  const all = instructions();
  const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

describe('the container image', () => {
  it('builds in one stage and runs from another, on a maintained Node.js LTS', () => {
    const all = instructions();
    const image = /ARG NODE_IMAGE=node:(\d+)-/.exec(
      all
        .filter((i) => i.keyword === 'ARG')
        .map((i) => `ARG ${i.args}`)
        .join('\n'),
    );

    expect(all.filter((i) => i.keyword === 'FROM')).toHaveLength(2);
    // Even majors from 22 are the LTS lines; 20 reached its end of life in April 2026.
    expect(Number(image?.[1]) % 2).toBe(0);
    expect(Number(image?.[1])).toBeGreaterThanOrEqual(22);
  });

  it('runs as the unprivileged node user, serving by default', () => {
    const stage = finalStage();

    expect(stage.filter((i) => i.keyword === 'USER').map((i) => i.args)).toEqual(['node']);
    expect(stage.find((i) => i.keyword === 'ENTRYPOINT')?.args).toBe('["node", "dist/cli.js"]');
    expect(stage.find((i) => i.keyword === 'CMD')?.args).toBe('["serve"]');
  });

  it('carries the labels crgate reads: source, description and licenses', () => {
    const labels = finalStage()
      .filter((i) => i.keyword === 'LABEL')
      .map((i) => i.args)
      .join(' ');

    expect(labels).toMatch(/org\.opencontainers\.image\.source="https:\/\/[^"]+"/);
    expect(labels).toMatch(/org\.opencontainers\.image\.description="[^"]{1,512}"/);
    expect(labels).toMatch(/org\.opencontainers\.image\.licenses="Apache-2\.0"/);
  });

  it('sets only settings crgate knows', () => {
    const env = finalStage()
      .filter((i) => i.keyword === 'ENV')
      .flatMap((i) => [...i.args.matchAll(/(CRGATE_[A-Z_]+)=/g)].map((m) => m[1]));

    expect(env.length).toBeGreaterThan(0);
    expect(env.filter((name) => !KNOWN_SETTINGS.has(name as string))).toEqual([]);
  });
});

describe('the compose file', () => {
  interface Service {
    environment?: Record<string, string>;
    ports?: string[];
    command?: string[];
    volumes?: string[];
    read_only?: boolean;
  }
  const compose = parse(readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8')) as {
    services: Record<string, Service>;
  };
  const { crgate, registry, redis } = compose.services as Record<string, Service>;

  it('publishes crgate alone; the registry and Redis stay on the internal network', () => {
    expect(crgate?.ports).toEqual(['8080:8080']);
    expect(registry?.ports).toBeUndefined();
    expect(redis?.ports).toBeUndefined();
  });

  it('points crgate at the registry and Redis services, with settings it knows', () => {
    const env = crgate?.environment ?? {};

    expect(env.CRGATE_REGISTRY_URL).toBe('http://registry:5000');
    expect(env.CRGATE_REDIS_URL).toBe('redis://redis:6379');
    expect(Object.keys(env).filter((name) => !KNOWN_SETTINGS.has(name))).toEqual([]);
    expect(crgate?.read_only).toBe(true);
  });

  it('runs the registry with crgate’s registry configuration, and Redis append-only', () => {
    expect(registry?.volumes).toContain('./registry/config.yml:/etc/docker/registry/config.yml:ro');
    expect(redis?.command).toEqual(['redis-server', '--appendonly', 'yes']);
  });
});
