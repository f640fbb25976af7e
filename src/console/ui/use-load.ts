/** Loading data for a screen: the last good value stays on screen while a refetch runs or fails. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api.ts';

export interface Loaded<T> {
  data: T | undefined;
  /** The last failure's message, cleared by the next success. */
  error: string;
  loading: boolean;
  /** Fetches again (a live update, a retry button). */
  reload: () => void;
}

/** Runs `load` now and whenever `deps` change; answers that arrive out of order are dropped. */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(load);
  latest.current = load;

  useEffect(() => {
    const ctl = new AbortController();
    setLoading(true);
    latest
      .current(ctl.signal)
      .then((d) => {
        if (ctl.signal.aborted) return;
        setData(d);
        setError('');
      })
      .catch((err: unknown) => {
        if (!ctl.signal.aborted) setError(describeError(err));
      })
      .finally(() => {
        if (!ctl.signal.aborted) setLoading(false);
      });
    return () => ctl.abort();
    // The caller's deps decide when to fetch again, like useEffect's.
  }, [...deps, tick]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload };
}
