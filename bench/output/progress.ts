import { performance } from 'node:perf_hooks';

/**
 * One line on stderr per run, saying what runs and how it went: `bench: lua, 2 processes (run 7 of
 * 24, about 1 min left): GET /hello… 12,886 req/s; 5 s of fresh users… 8,412 req/s`. On a terminal the line is rewritten
 * in place while a phase runs; elsewhere (a log, CI) each phase is written as it starts and its
 * result as it ends, so a long run is never silent and a log holds one line per run.
 */
export interface ProgressLine {
  /** Runs `work` as the next phase of the line: `what…` while it runs, then `what… result`. */
  phase<T>(what: string, work: () => Promise<T>, result: (value: T) => string, ticker?: () => string): Promise<T>;
  /** Ends the line. */
  end(): void;
}

/** Opens a line labelled `label`; a stream of undefined (no progress asked for) writes nothing. */
export type Progress = (label: string) => ProgressLine;

/** How often a terminal line is redrawn while a phase runs. */
const TICK_MS = 500;

export function progressOn(stream: NodeJS.WriteStream | undefined): Progress {
  if (!stream) return () => ({ phase: (_what, work) => work(), end: () => {} });
  return stream.isTTY ? (label) => terminalLine(stream, label) : (label) => logLine(stream, label);
}

/** Written piece by piece, never rewritten: a log reads `label: what… result; what… result`. */
function logLine(stream: NodeJS.WritableStream, label: string): ProgressLine {
  let started = false;
  return {
    async phase(what, work, result) {
      stream.write(`${started ? '; ' : `${label}: `}${what}…`);
      started = true;
      const value = await work().catch((error: unknown) => {
        stream.write(' failed');
        throw error;
      });
      stream.write(` ${result(value)}`);
      return value;
    },
    end() {
      if (started) stream.write('\n');
      started = false;
    },
  };
}

/** Redrawn in place (carriage return, clear the line), cut to the terminal's width. */
function terminalLine(stream: NodeJS.WriteStream, label: string): ProgressLine {
  const done: string[] = [];
  const text = (phases: string[]) => `${label}: ${phases.join('; ')}`;
  // While it runs, the line keeps to one row (else \r would redraw only its last row), dropping
  // its oldest phases first: the newest is the news.
  const draw = (current?: string) => {
    const width = Math.max(40, (stream.columns || 120) - 1);
    const phases = [...done, ...(current === undefined ? [] : [current])];
    while (phases.length > 1 && text(phases).length > width) phases.splice(0, phases[0] === '…' ? 2 : 1, '…');
    stream.write(`\r\x1b[2K${text(phases).slice(0, width)}`);
  };
  return {
    async phase(what, work, result, ticker) {
      const started = performance.now();
      const tick = () => draw(`${what}… ${ticker?.() ?? `${Math.round((performance.now() - started) / 1000)} s`}`);
      draw(`${what}…`);
      const timer = setInterval(tick, TICK_MS).unref();
      try {
        const value = await work();
        done.push(`${what}… ${result(value)}`);
        return value;
      } catch (error) {
        done.push(`${what}… failed`);
        throw error;
      } finally {
        clearInterval(timer);
        draw();
      }
    },
    // Once done, the whole line, wrapped by the terminal if it must be.
    end() {
      if (done.length) stream.write(`\r\x1b[2K${text(done)}\n`);
      done.length = 0;
    },
  };
}
