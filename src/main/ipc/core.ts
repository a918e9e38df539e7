// Everything behind the renderer, independent of the shell: the open catalogue, the job manager, the event
// hub, the request dispatcher and the image server. Electron's main (src/main/app/main.ts) and the harness
// (src/main/harness/server.ts) each create one core and only wire transports to it.
import { CatalogueSession } from './session';
import { EventHub } from './events';
import { createDispatcher, type Dispatcher, type Host } from './dispatcher';
import { JobManager } from '../jobs/manager';
import { jobDefinitions } from './jobs';
import { serveImage } from './images';

export interface OrelabCore extends Dispatcher {
  readonly session: CatalogueSession;
  readonly jobs: JobManager;
  readonly events: EventHub;
  readonly host: Host;
  /** Serves one image URL (the part after the image base, and its query); see ./images. */
  handleImage(rest: string, query: URLSearchParams): Promise<Response>;
  /** Cancels running jobs, waits for them, and closes the catalogue. */
  shutdown(): Promise<void>;
}

export function createCore(host: Host, options: { progressIntervalMs?: number } = {}): OrelabCore {
  const session = new CatalogueSession();
  const events = new EventHub();
  const jobs = new JobManager(
    jobDefinitions(session),
    {
      progress: (e) => events.emit('job.progress', e),
      finished: (info) => events.emit('job.finished', info),
    },
    options,
  );
  const dispatcher = createDispatcher({ session, jobs, events, host });
  return {
    ...dispatcher,
    session,
    jobs,
    events,
    host,
    handleImage: (rest, query) => serveImage(session, rest, query),
    async shutdown() {
      await jobs.cancelAll();
      await session.closeClassifiers();
      session.close();
    },
  };
}
