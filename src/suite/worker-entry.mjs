// Piscina worker entry: TypeScript through tsx, then one backend per worker thread.
import { register } from 'tsx/esm/api';

register();
const { runInWorker } = await import('./worker.ts');
export default runInWorker;
