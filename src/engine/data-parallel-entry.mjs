// Worker-thread entry for data-parallel gradients: TypeScript through tsx, then the worker.
import { register } from 'tsx/esm/api';

register();
await import('./data-parallel-worker.ts');
