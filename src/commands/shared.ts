// Small helpers shared by CLI commands.
export { loadFilterModel } from '../tasks/prompts.ts';
