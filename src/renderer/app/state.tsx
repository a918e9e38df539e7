// App-wide state: the shell's capabilities, the open catalogue, its classes, the jobs the main process
// reports, a data version that pages watch to refetch after any change, and short notices.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ClassInfo } from '../../shared/domain';
import type { CatalogueInfo, JobInfo, ResponseOf } from '../../shared/ipc';
import { call, errorMessage, onEvent } from '../api';

export type AppInfo = ResponseOf<'app.info'>;

export interface Notice {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
}

export interface AppState {
  app: AppInfo | null;
  catalogue: CatalogueInfo | null;
  /** null while loading. */
  classes: ClassInfo[] | null;
  /** Bumped after every change to catalogue data; data views refetch when it changes. */
  version: number;
  /** Call after a change: reloads classes and the catalogue summary, and bumps `version`. */
  invalidate(): void;
  setCatalogue(info: CatalogueInfo | null): void;
  jobs: ReadonlyMap<string, JobInfo>;
  trackJob(job: JobInfo): void;
  notices: Notice[];
  notify(text: string, kind?: Notice['kind']): void;
  dismiss(id: number): void;
  /** Set when the bridge or the first requests failed. */
  fatal: string | null;
}

const Ctx = createContext<AppState | null>(null);

export function useApp(): AppState {
  const v = useContext(Ctx);
  if (!v) throw new Error('useApp outside AppStateProvider');
  return v;
}

const NOTICE_MS = 6000;

export function AppStateProvider({ children }: { children: ReactNode }) {
  const [app, setApp] = useState<AppInfo | null>(null);
  const [catalogue, setCatalogueState] = useState<CatalogueInfo | null>(null);
  const [classes, setClasses] = useState<ClassInfo[] | null>(null);
  const [version, setVersion] = useState(0);
  const [jobs, setJobs] = useState<ReadonlyMap<string, JobInfo>>(new Map());
  const [notices, setNotices] = useState<Notice[]>([]);
  const [fatal, setFatal] = useState<string | null>(null);
  const noticeId = useRef(0);

  const dismiss = useCallback((id: number) => setNotices((n) => n.filter((x) => x.id !== id)), []);
  const notify = useCallback(
    (text: string, kind: Notice['kind'] = 'info') => {
      const id = ++noticeId.current;
      setNotices((n) => [...n.slice(-3), { id, kind, text }]);
      if (kind !== 'error') setTimeout(() => dismiss(id), NOTICE_MS);
    },
    [dismiss],
  );

  const reload = useCallback(async () => {
    try {
      const { catalogue: current } = await call('catalogue.current', {});
      setCatalogueState(current);
      setClasses(current ? (await call('classes.list', {})).classes : []);
    } catch (err) {
      notify(errorMessage(err), 'error');
    }
  }, [notify]);

  const invalidate = useCallback(() => {
    setVersion((v) => v + 1);
    void reload();
  }, [reload]);

  const setCatalogue = useCallback(
    (info: CatalogueInfo | null) => {
      setCatalogueState(info);
      setClasses(null);
      invalidate();
    },
    [invalidate],
  );

  const trackJob = useCallback((job: JobInfo) => {
    setJobs((prev) => {
      const current = prev.get(job.id);
      // Events can overtake the start response: never replace a finished state with a running one.
      if (current && current.status !== 'running' && job.status === 'running') return prev;
      const next = new Map(prev);
      next.set(job.id, job);
      return next;
    });
  }, []);

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const info = await call('app.info', {});
        if (!live) return;
        setApp(info);
        const { jobs: known } = await call('jobs.list', {});
        if (live) setJobs(new Map(known.map((j) => [j.id, j])));
        await reload();
      } catch (err) {
        if (live) setFatal(errorMessage(err));
      }
    })();
    return () => {
      live = false;
    };
  }, [reload]);

  useEffect(() => {
    const offs = [
      onEvent('job.progress', (e) =>
        setJobs((prev) => {
          const job = prev.get(e.jobId);
          if (!job || job.status !== 'running') return prev;
          const next = new Map(prev);
          next.set(e.jobId, { ...job, progress: e.progress } as JobInfo);
          return next;
        }),
      ),
      onEvent('job.finished', (job) => {
        trackJob(job);
        invalidate();
      }),
      onEvent('catalogue.changed', (e) => setCatalogue(e.catalogue)),
    ];
    return () => offs.forEach((off) => off());
  }, [trackJob, invalidate, setCatalogue]);

  const value = useMemo<AppState>(
    () => ({ app, catalogue, classes, version, invalidate, setCatalogue, jobs, trackJob, notices, notify, dismiss, fatal }),
    [app, catalogue, classes, version, invalidate, setCatalogue, jobs, trackJob, notices, notify, dismiss, fatal],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
