// Piscina entry for recompute workers: TypeScript through tsx; `name` picks recompute or describe.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./recompute-worker.ts');
export const recompute = worker.recompute;
export const describe = worker.describe;
export default worker.recompute;
