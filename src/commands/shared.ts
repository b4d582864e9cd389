// Small helpers shared by CLI commands.
import { existsSync } from 'node:fs';
import { loadModel } from '../engine/modelio.ts';
import { setFilterModel, filterModelPath, FILTER_MODEL } from '../tasks/prompts.ts';

/** Load the dense model that filters the questions task, when it has been trained. */
export function loadFilterModel(): void {
  if (existsSync(filterModelPath())) setFilterModel(loadModel(FILTER_MODEL));
}
