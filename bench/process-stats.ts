import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Resource use of another process, read from /proc (proc(5)): CPU time and resident memory.
 * Linux only, as the benchmark is.
 */

/** User plus system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields are counted after its closing paren.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / ticksPerSecond;
}

/**
 * CPU seconds of a process and its children so far: nginx's master and its workers. Reads
 * /proc/PID/task/PID/children, which lists the children of the main thread.
 */
export function treeCpuSeconds(pid: number, ticksPerSecond: number): number {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ');
  const pids = [pid, ...children.filter((c) => c !== '').map(Number)];
  return pids.reduce((sum, p) => sum + cpuSeconds(p, ticksPerSecond), 0);
}

function statusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (!match) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(match[1]) * 1024;
}

/** Peak resident set size since the start, or since the last `resetPeakRss`. */
export function peakRssBytes(pid: number): number {
  return statusBytes(pid, 'VmHWM');
}

export function rssBytes(pid: number): number {
  return statusBytes(pid, 'VmRSS');
}

/** Starts a new peak-RSS window: writing 5 to clear_refs resets VmHWM to the current RSS. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
