import path from 'node:path';

/**
 * What bench/run.sh hands the driver: where the services it started listen, their process
 * ids, the file holding crgate's personal access token, and the size of the run. Sizes have
 * defaults; the rest must be set. The settings go into the results file, so they name the
 * token's file and never hold the token.
 */
export interface Settings {
  readonly workDir: string;
  readonly registryPort: number;
  readonly registryPid: number;
  /** The registry's storage root, to drop pushed blobs between rounds. */
  readonly registryRoot: string;
  /** nginx in front of the registry (bench/nginx.conf), and its master process. */
  readonly nginxPort: number;
  readonly nginxPid: number;
  readonly crgatePort: number;
  readonly crgatePid: number;
  /** The Host crgate serves the registry API on: `containers.<hostname>:<port>`. */
  readonly crgateHost: string;
  readonly crgateLogLevel: string;
  /** crgate's metrics listener, whose `/metrics` counts its authorization decisions. */
  readonly crgateMetricsPort: number;
  /** A file holding a personal access token (`ghp_...`) of user `bench`, who owns `bench/`. */
  readonly patFile: string;
  /** The socket of the dockerd that run.sh started, as `unix://...`, for the timed pulls. */
  readonly dockerHost: string;
  /** The docker client's config folder: `docker login` keeps its credentials there. */
  readonly dockerConfigDir: string;
  readonly ticksPerSecond: number;
  readonly rounds: number;
  readonly loadSeconds: number;
  readonly loadConnections: readonly number[];
  /** The manifest HEAD load that also runs with Basic credentials, next to the bearer token. */
  readonly basicHeadConnections: number;
  readonly tokenConnections: readonly number[];
  /**
   * Token loads run shorter than manifest loads: each run is thousands of requests, against
   * crgate alone, and the whole benchmark should stay within about 14 minutes.
   */
  readonly tokenLoadSeconds: number;
  readonly blobBytes: number;
  readonly chunkBytes: number;
  /** The blob pushed once through crgate to see its memory stay flat; about 5 GiB. */
  readonly largeBlobBytes: number;
  /** Rounds of timed `docker pull`; a pull takes seconds, so more rounds than the others. */
  readonly pullRounds: number;
  readonly pullLayers: number;
  readonly pullLayerBytes: number;
  readonly resultsFile: string;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; run the benchmark with bench/run.sh`);
  return value;
}

function whole(name: string, fallback?: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (value === undefined || !Number.isInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive whole number, not "${raw ?? ''}"`);
  }
  return value;
}

export function readSettings(): Settings {
  return Object.freeze({
    workDir: required('BENCH_WORK_DIR'),
    registryPort: whole('BENCH_REGISTRY_PORT'),
    registryPid: whole('BENCH_REGISTRY_PID'),
    registryRoot: required('BENCH_REGISTRY_ROOT'),
    nginxPort: whole('BENCH_NGINX_PORT'),
    nginxPid: whole('BENCH_NGINX_PID'),
    crgatePort: whole('BENCH_CRGATE_PORT'),
    crgatePid: whole('BENCH_CRGATE_PID'),
    crgateHost: required('BENCH_CRGATE_HOST'),
    crgateLogLevel: required('BENCH_CRGATE_LOG_LEVEL'),
    crgateMetricsPort: whole('BENCH_CRGATE_METRICS_PORT'),
    patFile: required('BENCH_PAT_FILE'),
    dockerHost: required('BENCH_DOCKER_HOST'),
    dockerConfigDir: required('BENCH_DOCKER_CONFIG'),
    ticksPerSecond: whole('BENCH_CLK_TCK', 100),
    rounds: whole('BENCH_ROUNDS', 4),
    loadSeconds: whole('BENCH_LOAD_SECONDS', 4),
    loadConnections: [1, 16, 64],
    basicHeadConnections: 16,
    tokenConnections: [1, 16],
    tokenLoadSeconds: whole('BENCH_TOKEN_LOAD_SECONDS', 2),
    blobBytes: whole('BENCH_BLOB_MIB', 1024) * MIB,
    chunkBytes: whole('BENCH_CHUNK_MIB', 64) * MIB,
    largeBlobBytes: whole('BENCH_LARGE_BLOB_GIB', 5) * GIB,
    pullRounds: whole('BENCH_PULL_ROUNDS', 6),
    pullLayers: 10,
    pullLayerBytes: whole('BENCH_PULL_LAYER_MIB', 4) * MIB,
    resultsFile: path.resolve(__dirname, 'results', 'latest.json'),
  });
}
