// The app frame: navigation for every page, the open catalogue and the running jobs in the top bar, dialogs (import, catalogue, shortcuts), notices. Pages are chosen by the URL
// hash (#/labeling), so a reload stays on the page and navigation never leaves the app.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { PAGE_IDS, type PageId } from '../../shared/pages';
import type { JobInfo } from '../../shared/ipc';
import { AppStateProvider, useApp } from './state';
import { onEvent } from '../api';
import { CataloguePage } from '../pages/CataloguePage';
import { LabelingPage } from '../pages/LabelingPage';
import { RebalancingPage } from '../pages/RebalancingPage';
import { TrainingPage } from '../pages/TrainingPage';
import { ReportsPage } from '../pages/ReportsPage';
import { RelabelPage } from '../pages/RelabelPage';
import { BatchPage } from '../pages/BatchPage';
import { ImportDialog } from '../components/ImportDialog';
import { CatalogueDialog, CatalogueForm } from '../components/CatalogueDialog';
import { Dialog } from '../components/Dialog';
import { formatCount, plural } from '../lib/format';

interface NavItem {
  page: PageId;
  label: string;
}

const NAV: { heading: string; items: NavItem[] }[] = [
  {
    heading: 'Data',
    items: [
      { page: 'catalogue', label: 'Catalogue' },
      { page: 'labeling', label: 'Labeling' },
      { page: 'rebalancing', label: 'Rebalancing' },
    ],
  },
  {
    heading: 'Model',
    items: [
      { page: 'training', label: 'Training' },
      { page: 'reports', label: 'Reports' },
      { page: 'relabel', label: 'Relabel' },
      { page: 'batch', label: 'Batch classification' },
    ],
  },
];

function pageFromHash(): PageId {
  const id = location.hash.replace(/^#\/?/, '');
  return (PAGE_IDS as readonly string[]).includes(id) ? (id as PageId) : 'catalogue';
}

function useHashPage(): [PageId, (p: PageId) => void] {
  const [page, setPage] = useState<PageId>(pageFromHash);
  useEffect(() => {
    const on = () => setPage(pageFromHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return [page, useCallback((p: PageId) => void (location.hash = `#/${p}`), [])];
}

type DialogName = 'import' | 'catalogue' | 'shortcuts' | null;

export function App() {
  return (
    <AppStateProvider>
      <Frame />
    </AppStateProvider>
  );
}

function Frame() {
  const { app, catalogue, classes, fatal, jobs } = useApp();
  const [page, navigate] = useHashPage();
  const [dialog, setDialog] = useState<DialogName>(null);
  const close = useCallback(() => setDialog(null), []);

  useEffect(
    () =>
      onEvent('menu.command', (c) => {
        if (c.command === 'import-folder') setDialog('import');
        else if (c.command === 'open-catalogue') setDialog('catalogue');
        else if (c.command === 'show-shortcuts') setDialog('shortcuts');
        else if (c.command === 'navigate' && c.page) navigate(c.page);
      }),
    [navigate],
  );
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
      if (e.key === '?' && !typing && !dialog) {
        e.preventDefault();
        setDialog('shortcuts');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [dialog]);

  if (fatal) {
    return (
      <div className="fatal">
        <h1>Orelab cannot reach its main process</h1>
        <p>{fatal}</p>
      </div>
    );
  }

  const running = [...jobs.values()].filter((j) => j.status === 'running');
  const importJob = running.find((j): j is Extract<JobInfo, { kind: 'import' }> => j.kind === 'import');
  const title = catalogue || !app ? (NAV.flatMap((g) => g.items).find((i) => i.page === page)?.label ?? '') : 'Orelab';
  let content: ReactNode;
  if (!app) content = <div className="page page-padded" aria-busy="true" />;
  else if (!catalogue) content = <NoCatalogue />;
  else if (page === 'catalogue') content = <CataloguePage key={catalogue.key} onImport={() => setDialog('import')} />;
  else if (page === 'labeling') content = <LabelingPage key={catalogue.key} />;
  else if (page === 'rebalancing') content = <RebalancingPage key={catalogue.key} />;
  else if (page === 'training') content = <TrainingPage key={catalogue.key} />;
  else if (page === 'reports') content = <ReportsPage key={catalogue.key} />;
  else if (page === 'relabel') content = <RelabelPage key={catalogue.key} />;
  else content = <BatchPage key={catalogue.key} />;
  const trainJob = running.find((j): j is Extract<JobInfo, { kind: 'train' }> => j.kind === 'train');
  const classifyJob = running.find((j): j is Extract<JobInfo, { kind: 'classify' }> => j.kind === 'classify');

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Pages">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          Orelab
        </div>
        {NAV.map((group) => (
          <div key={group.heading} className="nav-group">
            <div className="nav-heading">{group.heading}</div>
            <ul>
              {group.items.map((item) => (
                <li key={item.page}>
                  <a href={`#/${item.page}`} className="nav-link" aria-current={page === item.page ? 'page' : undefined}>
                    <span>{item.label}</span>
                  </a>
                </li>
              ))}
            </ul>
          </div>
        ))}
        <div className="sidebar-footer">
          {catalogue ? (
            <>
              <div className="muted small">Catalogue</div>
              <div className="catalogue-name" title={catalogue.path}>
                {catalogue.name}
              </div>
            </>
          ) : null}
          <button type="button" className="link" onClick={() => setDialog('catalogue')}>
            {catalogue ? 'Switch catalogue…' : 'Open a catalogue…'}
          </button>
          <button type="button" className="link" onClick={() => setDialog('shortcuts')}>
            Keyboard shortcuts <kbd>?</kbd>
          </button>
          {app ? <div className="muted small">Orelab {app.version}{app.shell === 'harness' ? ' · harness' : ''}</div> : null}
        </div>
      </nav>
      <header className="topbar">
        <h1 className="topbar-title">{title}</h1>
        {catalogue ? (
          <span className="topbar-summary" aria-live="polite">
            {plural(catalogue.specimens, 'specimen')} · {plural(classes?.length ?? 0, 'class', 'classes')}
          </span>
        ) : null}
        <span className="spacer" />
        {importJob ? (
          <button type="button" className="job-chip" onClick={() => setDialog('import')} aria-label="Import running: show progress">
            <progress max={Math.max(1, importJob.progress?.total ?? 1)} value={importJob.progress?.done ?? 0} />
            Importing {importJob.progress ? `${formatCount(importJob.progress.done)} / ${formatCount(importJob.progress.total)}` : '…'}
          </button>
        ) : null}
        {trainJob && page !== 'training' ? (
          <button type="button" className="job-chip" onClick={() => navigate('training')} aria-label="Training running: show it">
            <progress max={Math.max(1, trainJob.progress?.epochs ?? 1)} value={trainJob.progress?.epochsDone.length ?? 0} />
            Training {trainJob.progress ? `epoch ${Math.min(trainJob.progress.epoch + 1, trainJob.progress.epochs)} / ${trainJob.progress.epochs}` : '…'}
          </button>
        ) : null}
        {classifyJob && page !== 'batch' ? (
          <button type="button" className="job-chip" onClick={() => navigate('batch')} aria-label="Batch classification running: show it">
            <progress max={Math.max(1, classifyJob.progress?.total ?? 1)} value={classifyJob.progress?.done ?? 0} />
            Classifying {classifyJob.progress ? `${formatCount(classifyJob.progress.done)} / ${formatCount(classifyJob.progress.total)}` : '…'}
          </button>
        ) : null}
        <button type="button" className="primary" onClick={() => setDialog('import')} disabled={!catalogue}>
          Import folder…
        </button>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {content}
      </main>
      <StatusBar />
      <ImportDialog open={dialog === 'import'} onClose={close} />
      <CatalogueDialog open={dialog === 'catalogue'} onClose={close} />
      <ShortcutsDialog open={dialog === 'shortcuts'} onClose={close} />
    </div>
  );
}

function NoCatalogue() {
  return (
    <div className="page page-padded">
      <header className="page-header">
        <h2 className="page-title">No catalogue is open</h2>
        <p className="muted">A catalogue is one file that holds your specimens, labels and splits. Open one, or create a new one and import photos into it.</p>
      </header>
      <section className="card-panel narrow">
        <CatalogueForm onDone={() => undefined} />
      </section>
    </div>
  );
}

/** The status bar: the latest notice on the left (never covering the page), the catalogue file on the right. */
function StatusBar() {
  const { notices, dismiss, catalogue } = useApp();
  const latest = notices[notices.length - 1];
  return (
    <footer className="statusbar">
      <div className="status-message" role="status" aria-live="polite">
        {latest ? (
          <span className={`notice notice-${latest.kind}`}>
            <span className="notice-dot" aria-hidden="true" />
            <span className="notice-text">{latest.text}</span>
            <button type="button" className="icon" aria-label="Dismiss" onClick={() => dismiss(latest.id)}>
              ×
            </button>
          </span>
        ) : null}
      </div>
      {catalogue ? (
        <span className="status-path" title={catalogue.path}>
          {/* Marks keep the path left-to-right inside the right-to-left box that puts the ellipsis at its start. */}
          {`\u200e${catalogue.path}\u200e`}
        </span>
      ) : null}
    </footer>
  );
}

const SHORTCUTS: [string, string][] = [
  ['Arrow keys', 'move in a grid'],
  ['Shift + arrows', 'extend the selection (Labeling)'],
  ['Ctrl/Shift + click', 'select several (Labeling)'],
  ['Ctrl + A', 'select every specimen in the filter (Labeling)'],
  ['1 – 9', 'give the selection the class at that position (Labeling)'],
  ['0', 'remove the label (Labeling)'],
  ['z', 'undo this page\'s last label change, made in this visit (Labeling, Relabel, Catalogue)'],
  ['Shift + z', 'redo what z undid (Labeling, Relabel, Catalogue)'],
  ['a / k / f', 'accept the prediction / keep the label / flag for an expert (Relabel)'],
  ['↑ ↓', 'previous / next specimen to review (Relabel)'],
  ['Esc', 'keep only the current specimen selected; close a dialog'],
  ['Enter', 'show the details of the current specimen (Catalogue)'],
  ['Ctrl + 1 … 7', 'go to a page (desktop app menu)'],
  ['Ctrl + I', 'import a folder (desktop app menu)'],
  ['?', 'this list'],
];

function ShortcutsDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Keyboard shortcuts">
      <table className="data-table shortcuts">
        <tbody>
          {SHORTCUTS.map(([k, v]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Dialog>
  );
}
