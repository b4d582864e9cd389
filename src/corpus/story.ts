// The shapes every corpus version shares: a story is sentences of word tokens.
export type Sentence = string[];
/** A story is a list of sentences; each sentence is a list of word tokens ending in `.` or `?`. */
export type Story = Sentence[];
/** A uniform [0, 1) generator, e.g. `seedrandom('1')`. */
export type Rng = () => number;

export const storyText = (story: Story): string => story.map((s) => s.join(' ')).join(' ');
