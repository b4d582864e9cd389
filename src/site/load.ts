// Moved: the one results reader is src/results/load.ts (the suite, merge, the commands, the site and
// the server all validate through it). This re-export keeps the site's and the server's imports.
export { loadResults, SUBMISSIONS_DIR, CARD_FILE, type LoadedRun, type LoadedResults, type Skipped } from '../results/load.ts';
