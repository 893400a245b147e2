/** Progress output: a redrawn bar on a TTY, plain periodic lines otherwise (logs, CI). */
export interface ProgressState {
  bytes: number;
  size: number;
  read: number;
  applied: number;
  invalid: number;
  failed: number;
  checkpointLine: number;
}

export interface ProgressSink {
  update(state: ProgressState): void;
  done(state: ProgressState): void;
}

export function createProgress(stream: NodeJS.WriteStream, intervalMs: number, now: () => number = Date.now): ProgressSink {
  const started = now();
  let last = 0;
  const text = (s: ProgressState): string => {
    const pct = s.size > 0 ? Math.min(100, (100 * s.bytes) / s.size) : 100;
    const rate = s.read / Math.max(0.001, (now() - started) / 1000);
    return {
      pct,
      line: `${pct.toFixed(1)}% read ${s.read} applied ${s.applied} invalid ${s.invalid} failed ${s.failed} checkpoint line ${s.checkpointLine} (${rate.toFixed(0)} records/s)`,
    }.line;
  };
  if (stream.isTTY) {
    return {
      update(s) {
        if (now() - last < 100) return;
        last = now();
        const pct = s.size > 0 ? Math.min(1, s.bytes / s.size) : 1;
        const width = 30;
        const filled = Math.round(pct * width);
        stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text(s)}\x1b[K`);
      },
      done(s) {
        stream.write(`\r${text(s)}\x1b[K\n`);
      },
    };
  }
  return {
    update(s) {
      if (now() - last < intervalMs) return;
      last = now();
      stream.write(`progress: ${text(s)}\n`);
    },
    done(s) {
      stream.write(`progress: ${text(s)}\n`);
    },
  };
}
