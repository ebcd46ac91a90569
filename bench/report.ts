import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import type { TargetName } from './target';

/**
 * The benchmark's one table: per measure, the median over rounds for each target and the
 * ratios nginx / direct and crgate / direct, with crgate's target ratio printed beside them.
 * Targets inform; they never fail the run.
 */
export type Samples = Record<TargetName, number[]>;

export interface Row {
  readonly measure: string;
  readonly unit: string;
  readonly direct: number | null;
  readonly nginx: number | null;
  readonly crgate: number;
  /** nginx / direct. */
  readonly nginxRatio: number | null;
  /** crgate / direct. */
  readonly ratio: number | null;
  /** The least acceptable crgate / direct, where the project has set one. */
  readonly targetRatio: number | null;
  readonly samples: Samples;
}

export function noSamples(): Samples {
  return { direct: [], nginx: [], crgate: [] };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A measure taken on every target that has samples, with the ratios of the medians. */
export function comparedRow(
  measure: string,
  unit: string,
  samples: Samples,
  targetRatio: number | null = null,
): Row {
  const direct = median(samples.direct);
  const nginx = samples.nginx.length > 0 ? median(samples.nginx) : null;
  const crgate = median(samples.crgate);
  const nginxRatio = nginx === null ? null : nginx / direct;
  return {
    measure,
    unit,
    direct,
    nginx,
    crgate,
    nginxRatio,
    ratio: crgate / direct,
    targetRatio,
    samples,
  };
}

/** A measure of crgate alone, such as its memory. */
export function crgateRow(measure: string, unit: string, values: number[]): Row {
  const samples = { ...noSamples(), crgate: values };
  return {
    measure,
    unit,
    direct: null,
    nginx: null,
    crgate: median(values),
    nginxRatio: null,
    ratio: null,
    targetRatio: null,
    samples,
  };
}

/** A measure of the proxies alone, such as the CPU time they spend per GiB carried. */
export function proxiesRow(measure: string, unit: string, samples: Samples): Row {
  return {
    measure,
    unit,
    direct: null,
    nginx: median(samples.nginx),
    crgate: median(samples.crgate),
    nginxRatio: null,
    ratio: null,
    targetRatio: null,
    samples,
  };
}

function figure(value: number | null, digits: number): string {
  if (value === null) return '-';
  return value.toFixed(digits);
}

function verdict(row: Row): string {
  if (row.ratio === null || row.targetRatio === null) return '';
  return row.ratio >= row.targetRatio ? 'meets' : 'below';
}

const HEADER = [
  'measure',
  'unit',
  'direct',
  'nginx',
  'crgate',
  'nginx/direct',
  'crgate/direct',
  'target',
  '',
];
// Columns of text, padded on the right; the rest are figures, padded on the left.
const TEXT_COLUMNS = new Set([0, 1, 7, 8]);

function cells(row: Row): string[] {
  const target = row.targetRatio === null ? '-' : `>= ${row.targetRatio.toFixed(2)}`;
  const digits = row.crgate >= 1000 ? 0 : row.crgate >= 10 ? 1 : 2;
  return [
    row.measure,
    row.unit,
    figure(row.direct, digits),
    figure(row.nginx, digits),
    figure(row.crgate, digits),
    figure(row.nginxRatio, 3),
    figure(row.ratio, 3),
    target,
    verdict(row),
  ];
}

/** Renders the rows as a fixed-width text table: text columns left, figures right. */
export function formatTable(rows: readonly Row[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((line) => (line[i] as string).length)));
  const render = (line: string[]) =>
    line
      .map((cell, i) =>
        TEXT_COLUMNS.has(i) ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number),
      )
      .join('  ')
      .trimEnd();
  return table.map(render).join('\n');
}

export function writeJson(file: string, data: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
}
