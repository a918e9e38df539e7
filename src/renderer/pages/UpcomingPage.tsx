// Pages whose services are still being built (training engine, classifier). They say so plainly and show
// nothing made up; each becomes a real page when its channels land in the IPC contract.
import type { PageId } from '../../shared/ipc';

interface Upcoming {
  title: string;
  arrives: string;
  will: string[];
  now: string;
}

export const UPCOMING: Partial<Record<PageId, Upcoming>> = {
  training: {
    title: 'Training',
    arrives: 'Arrives with the training engine.',
    will: [
      'Choose the variant (ViT, ViT + weighted loss, MA-ViT), the backbone, epochs and device',
      'Start, cancel and resume a run; it runs in a worker, so the app stays responsive',
      'Live training-loss and validation-accuracy curves with an ETA',
      'Which checkpoint is kept (best validation accuracy), and why',
    ],
    now: 'Prepare the data now: label on the Labeling page, then check class weights and assign the split on the Rebalancing page.',
  },
  reports: {
    title: 'Reports',
    arrives: 'Arrives with the training engine (evaluation).',
    will: [
      'Per-class precision, recall and F1 next to accuracy and macro F1',
      'A confusion-matrix heatmap: a click on a cell opens those images',
      'Two models side by side, and CSV export',
    ],
    now: 'Nothing to report until a model has been trained on this catalogue.',
  },
  relabel: {
    title: 'Relabel',
    arrives: 'Arrives with the classifier.',
    will: [
      'Misclassified and doubtful specimens, ranked by loss or confidence, with label, prediction and probabilities',
      'One key accepts the prediction, keeps the label, or flags the specimen for an expert',
      'Every change goes into the label history and can be undone',
    ],
    now: 'Until then, specimens can be relabeled by hand on the Labeling page (z undoes) and flagged in the Catalogue detail panel.',
  },
  batch: {
    title: 'Batch classification',
    arrives: 'Arrives with the classifier.',
    will: ['Pick a folder and set the options', 'Watch the progress; see the results table', 'Export CSV and open the output folder'],
    now: 'A trained model is needed first.',
  },
};

export function UpcomingPage({ page }: { page: PageId }) {
  const info = UPCOMING[page];
  if (!info) return null;
  return (
    <div className="page page-padded page-upcoming">
      <header className="page-header">
        <p className="upcoming-badge">{info.arrives}</p>
      </header>
      <section className="card-panel">
        <h2>What this page will do</h2>
        <ul className="plain-list">
          {info.will.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      </section>
      <section className="card-panel">
        <h2>Meanwhile</h2>
        <p>{info.now}</p>
      </section>
    </div>
  );
}
