import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { ConfigError, loadConfig } from '../src/config';

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

function configFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'crgate-config-')), 'crgate.yaml');
  writeFileSync(file, text);
  return file;
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});

    expect(config.hostname).toBe('localhost');
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.registryUrl.href).toBe('http://127.0.0.1:5000/');
    expect(config.metricsListen).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.publicUrlScheme).toBe('https');
    expect(config.trustProxy).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads environment variables', () => {
    const config = loadConfig({
      CRGATE_HOSTNAME: 'Registry.Example.COM',
      CRGATE_LISTEN: '[::1]:5050',
      CRGATE_PUBLIC_URL_SCHEME: 'http',
      CRGATE_TRUST_PROXY: 'true',
      CRGATE_DRAIN_TIMEOUT_MS: '1500',
    });

    expect(config.hostname).toBe('registry.example.com');
    expect(config.listen).toEqual({ host: '::1', port: 5050 });
    expect(config.publicUrlScheme).toBe('http');
    expect(config.trustProxy).toBe(true);
    expect(config.drainTimeoutMs).toBe(1500);
  });

  it('reads a YAML file, with the environment winning over it', () => {
    const file = configFile('hostname: example.org\nlisten: 0.0.0.0:9000\nlogLevel: warn\n');
    const config = loadConfig({ CRGATE_CONFIG: file, CRGATE_LOG_LEVEL: 'debug' });

    expect(config.hostname).toBe('example.org');
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(config.logLevel).toBe('debug');
  });

  it.each([
    [{ CRGATE_LISTEN: 'nowhere' }, 'CRGATE_LISTEN'],
    [{ CRGATE_LISTEN: '127.0.0.1:70000' }, 'CRGATE_LISTEN'],
    [{ CRGATE_HOSTNAME: 'bad_host!' }, 'CRGATE_HOSTNAME'],
    [{ CRGATE_REGISTRY_URL: 'ftp://registry' }, 'CRGATE_REGISTRY_URL'],
    [{ CRGATE_REDIS_URL: 'http://redis' }, 'CRGATE_REDIS_URL'],
    [{ CRGATE_PUBLIC_URL_SCHEME: 'gopher' }, 'CRGATE_PUBLIC_URL_SCHEME'],
    [{ CRGATE_TRUST_PROXY: 'maybe' }, 'CRGATE_TRUST_PROXY'],
    [{ CRGATE_DRAIN_TIMEOUT_MS: '-5' }, 'CRGATE_DRAIN_TIMEOUT_MS'],
    [{ CRGATE_HOSTNMAE: 'typo.example' }, 'CRGATE_HOSTNMAE'],
    [{ CRGATE_DIRECTORY_PROVIDER: 'ldap' }, 'CRGATE_DIRECTORY_PROVIDER'],
    [{ CRGATE_GITHUB_API_URL: 'ftp://github.example' }, 'CRGATE_GITHUB_API_URL'],
    [{ CRGATE_GITHUB_APP_ID: 'my-app' }, 'CRGATE_GITHUB_APP_ID'],
    [{ CRGATE_GITHUB_APP_INSTALLATION_ID: '42a' }, 'CRGATE_GITHUB_APP_INSTALLATION_ID'],
    [{ CRGATE_GITHUB_CACHE_TTL_SECONDS: '0' }, 'CRGATE_GITHUB_CACHE_TTL_SECONDS'],
    [{ CRGATE_GITHUB_RATE_LIMIT_RESERVE: '-1' }, 'CRGATE_GITHUB_RATE_LIMIT_RESERVE'],
    [{ CRGATE_GITHUB_OIDC_ISSUER: 'token.actions' }, 'CRGATE_GITHUB_OIDC_ISSUER'],
  ])('refuses %j, naming %s', (env, key) => {
    expect(configError(env).key).toBe(key);
  });

  it('reads identities from the directory file unless told GitHub, with GitHub’s defaults', () => {
    const config = loadConfig({});

    expect(config.directoryProvider).toBe('file');
    expect(config.githubApiUrl.href).toBe('https://api.github.com/');
    expect(config.githubTokenFile).toBe('');
    expect(config.githubAppId).toBe('');
    expect(config.githubCacheTtlSeconds).toBe(300);
    expect(config.githubTimeoutMs).toBe(10000);
    expect(config.githubRateLimitReserve).toBe(100);
    expect(config.githubOidcIssuer).toBe('https://token.actions.githubusercontent.com');
    expect(config.githubOidcAudience).toBe('');
  });

  it('reads the GitHub provider’s settings', () => {
    const config = loadConfig({
      CRGATE_DIRECTORY_PROVIDER: 'GitHub',
      CRGATE_GITHUB_API_URL: 'https://ghes.example.com/api/v3',
      CRGATE_GITHUB_APP_ID: '123456',
      CRGATE_GITHUB_APP_INSTALLATION_ID: ' 42 ',
      CRGATE_GITHUB_RATE_LIMIT_RESERVE: '0',
      CRGATE_GITHUB_OIDC_ISSUER: 'https://ghes.example.com/_services/token/',
    });

    expect(config.directoryProvider).toBe('github');
    expect(config.githubApiUrl.href).toBe('https://ghes.example.com/api/v3');
    expect(config.githubAppId).toBe('123456');
    expect(config.githubAppInstallationId).toBe('42');
    expect(config.githubRateLimitReserve).toBe(0);
    expect(config.githubOidcIssuer).toBe('https://ghes.example.com/_services/token');
  });

  it('turns OIDC logins off with an empty issuer', () => {
    expect(loadConfig({ CRGATE_GITHUB_OIDC_ISSUER: '' }).githubOidcIssuer).toBe('');
  });

  it('names the providers it knows when refusing one', () => {
    const error = configError({ CRGATE_DIRECTORY_PROVIDER: 'ldap' });

    expect(error.message).toContain('ldap');
    expect(error.message).toContain('file, github');
  });

  it('refuses an unknown key in the file, naming it', () => {
    const file = configFile('hostname: example.org\nregistryURL: http://x\n');

    expect(configError({ CRGATE_CONFIG: file }).key).toBe('registryURL');
  });

  it('names the file key when a value from the file is bad', () => {
    const file = configFile('registryUrl: not a url\n');

    expect(configError({ CRGATE_CONFIG: file }).key).toBe('registryUrl');
  });

  it('refuses a file that cannot be read', () => {
    expect(configError({ CRGATE_CONFIG: '/nonexistent/crgate.yaml' }).key).toBe('CRGATE_CONFIG');
  });
});
