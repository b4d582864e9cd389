import { FEMALE_NAMES, MALE_NAMES, type Gender } from './vocab.ts';

// The shapes every corpus version shares: a story is sentences of word tokens.
export type Sentence = string[];
/** A story is a list of sentences; each sentence is a list of word tokens ending in `.` or `?`. */
export type Story = Sentence[];
/** A uniform [0, 1) generator, e.g. `seedrandom('1')`. */
export type Rng = () => number;

export const storyText = (story: Story): string => story.map((s) => s.join(' ')).join(' ');

// Drawing words and names: the same for every corpus version (v1's stream depends on them exactly).
export const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];
export const words = (...parts: string[]): Sentence => parts.join(' ').split(' ');
export const nameOfGender = (rng: Rng, g: Gender, exclude?: string): string =>
  pick(rng, (g === 'male' ? MALE_NAMES : FEMALE_NAMES).filter((n) => n !== exclude));
export const other = (g: Gender): Gender => (g === 'male' ? 'female' : 'male');
