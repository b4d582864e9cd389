// Piscina entry for the site rebuild worker (TypeScript through tsx).
import { register } from 'tsx/esm/api';

register();
const { rebuild } = await import('./site-worker.ts');
export default rebuild;
