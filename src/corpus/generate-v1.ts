// Corpus v1's story generator, frozen: the shipped zoo was trained on exactly these stories,
// and a test pins their hash, so nothing here may change what it generates (a new corpus is a
// new version, generate-v2.ts).
//
// The stories carry the structures the tasks probe, often enough for a tiny 2-layer
// transformer to learn them in a few thousand steps:
//   pronoun   "when {name} {action} , {he|she} {continuation} ."  (agrees with the name)
//   ioi       "when {name1} {situation} , {name2} {verb} {him|her} ."  (refers to name1; half the
//             pairs are same-gender, so only tracking name1, not "the other gender", predicts it)
//   question / statement minimal pairs: "do you like the cake ?" / "you do like the cake ."
//   filler    everything else ("Mia went to the park .", "Leo is happy .")
// Invariants the tasks rely on: after "when {name} {action} ," comes he/she (never `is` or
// `when`, which the `nonsense` task asks for); after "when {name} {situation} ," comes a name;
// an IOI verb is always followed by him/her; every sentence ends in `.` or `?`.
// All randomness comes from seedrandom, never Math.random.
import seedrandom from 'seedrandom';
import {
  LEXICON, NAMES, PLURAL_AUX, PLURAL_SUBJECTS, SINGULAR_AUX,
  SINGULAR_SUBJECTS, allOf, genderOf, objectPronoun, possessivePronoun, subjectPronoun,
  type Gender,
} from './vocab.ts';
import { nameOfGender, other, pick, words, type Rng, type Sentence, type Story } from './story.ts';

const ACTIONS = allOf(LEXICON.actions);
const SITUATIONS = allOf(LEXICON.situations);
const IOI_VERBS = allOf(LEXICON.ioiVerbs);
const QUESTION_VERBS = allOf(LEXICON.questionVerbs);
const NOUNS = allOf(LEXICON.nouns);
const PLACES = allOf(LEXICON.places);
const OBJECT_ADJS = allOf(LEXICON.objectAdjectives);
const MOODS = LEXICON.moods;


/** Per-story state: a protagonist who recurs, so stories read as stories and pronouns have referents. */
export interface StoryContext {
  rng: Rng;
  hero: string;
}

/** The sentence's main character: the protagonist half the time, otherwise anyone. */
const someone = (ctx: StoryContext): string => (ctx.rng() < 0.5 ? ctx.hero : pick(ctx.rng, NAMES));
const gender = (name: string): Gender => genderOf(name)!;

// ---- structure 1: pronoun agreement -------------------------------------------------

function continuation(ctx: StoryContext, g: Gender): string {
  const { rng } = ctx;
  const options: Array<() => string> = [
    () => pick(rng, ['smiled', 'laughed', 'rested', 'waved']),
    () => `was ${pick(rng, MOODS)}`,
    () => `was very ${pick(rng, MOODS)}`,
    () => `felt ${pick(rng, MOODS)}`,
    () => `went to the ${pick(rng, PLACES)}`,
    () => `saw a ${pick(rng, NOUNS)}`,
    () => `liked the ${pick(rng, NOUNS)}`,
    () => `took ${possessivePronoun(g)} ${pick(rng, NOUNS)}`,
    () => `played at the ${pick(rng, PLACES)}`,
  ];
  return pick(rng, options)();
}

function pronounSentence(ctx: StoryContext): Sentence {
  const name = someone(ctx);
  const g = gender(name);
  return words('when', name, pick(ctx.rng, ACTIONS), ',', subjectPronoun(g), continuation(ctx, g), '.');
}

// ---- structure 2: IOI ----------------------------------------------------------------

function ioiSentence(ctx: StoryContext): Sentence {
  const { rng } = ctx;
  const name1 = someone(ctx);
  const g1 = gender(name1);
  const sameGender = rng() < 0.5;
  const name2 = nameOfGender(rng, sameGender ? g1 : other(g1), name1);
  return words('when', name1, pick(rng, SITUATIONS), ',', name2, pick(rng, IOI_VERBS), objectPronoun(g1), '.');
}

// ---- structure 3: question / statement minimal pairs -------------------------------

/** One minimal-pair family: the question form and the statement form of the same words. */
function minimalPair(ctx: StoryContext): { question: string; statement: string } {
  const { rng } = ctx;
  const plural = rng() < 0.6;
  const subj = plural ? pick(rng, PLURAL_SUBJECTS) : pick(rng, SINGULAR_SUBJECTS);
  const be = plural ? 'are' : 'is';
  const r = rng();
  if (r < 0.5) {
    // "do you like the cake ?" / "you do like the cake ."
    const aux = plural ? pick(rng, PLURAL_AUX) : pick(rng, SINGULAR_AUX);
    const rest = `${pick(rng, QUESTION_VERBS)} the ${pick(rng, NOUNS)}`;
    return { question: `${aux} ${subj} ${rest}`, statement: `${subj} ${aux} ${rest}` };
  }
  if (r < 0.7) {
    // "is he at the park ?" / "he is at the park ."
    const rest = `${pick(rng, ['at', 'in'])} the ${pick(rng, PLACES)}`;
    return { question: `${be} ${subj} ${rest}`, statement: `${subj} ${be} ${rest}` };
  }
  if (r < 0.8) {
    // "are you very happy ?" / "you are very happy ."
    const rest = `very ${pick(rng, MOODS)}`;
    return { question: `${be} ${subj} ${rest}`, statement: `${subj} ${be} ${rest}` };
  }
  // "is the cake very big ?" / "the cake is very big ."
  const noun = pick(rng, NOUNS);
  const rest = `very ${pick(rng, OBJECT_ADJS)}`;
  return { question: `is the ${noun} ${rest}`, statement: `the ${noun} is ${rest}` };
}

export function questionOrStatement(ctx: StoryContext): Sentence {
  const pair = minimalPair(ctx);
  return ctx.rng() < 0.5 ? words(pair.question, '?') : words(pair.statement, '.');
}

/** Wh-questions: questions without a statement twin, so `?` is not only about word order. */
export function whQuestion(ctx: StoryContext): Sentence {
  const { rng } = ctx;
  const options: Array<() => string> = [
    () => `where is ${someone(ctx)}`,
    () => `where is the ${pick(rng, NOUNS)}`,
    () => `why are you ${pick(rng, MOODS)}`,
    () => `why is ${someone(ctx)} ${pick(rng, MOODS)}`,
    () => `what did ${pick(rng, [...PLURAL_SUBJECTS, ...SINGULAR_SUBJECTS])} ${pick(rng, QUESTION_VERBS)}`,
    () => 'how are you',
    () => 'who is that',
  ];
  return words(pick(rng, options)(), '?');
}

// ---- structure 4: filler ----------------------------------------------------------

function fillerSentence(ctx: StoryContext): Sentence {
  const { rng } = ctx;
  const a = someone(ctx);
  const b = pick(rng, NAMES.filter((n) => n !== a));
  const options: Array<() => string> = [
    () => `${a} went to the ${pick(rng, PLACES)}`,
    () => `${a} is ${pick(rng, MOODS)}`,
    () => `${a} was very ${pick(rng, MOODS)}`,
    () => `${a} and ${b} played at the ${pick(rng, PLACES)}`,
    () => `the ${pick(rng, NOUNS)} was ${pick(rng, OBJECT_ADJS)}`,
    () => `${a} lost ${possessivePronoun(gender(a))} ${pick(rng, NOUNS)}`,
    // ("a old" reads wrong; "a" never precedes a vowel-initial adjective)
    () => `${a} saw a ${pick(rng, OBJECT_ADJS.filter((x) => !/^[aeiou]/.test(x)))} ${pick(rng, NOUNS)}`,
    () => `it was a ${pick(rng, MOODS)} day`,
    () => `then ${subjectPronoun(gender(ctx.hero))} went home`,
    () => `${a} liked the ${pick(rng, NOUNS)}`,
    () => 'they went home together',
    () => `${a} took ${possessivePronoun(gender(a))} ${pick(rng, NOUNS)} to the ${pick(rng, PLACES)}`,
  ];
  return words(pick(rng, options)(), '.');
}

function openingSentence(ctx: StoryContext): Sentence {
  const { rng, hero } = ctx;
  return words(pick(rng, [`${hero} went to the ${pick(rng, PLACES)}`, `${hero} is ${pick(rng, MOODS)}`, `it was a ${pick(rng, MOODS)} day`]), '.');
}

/**
 * Share of sentences after the opening one. IOI gets the most: it is the hardest
 * structure (two names, attend back to the first) and its same-gender half must be learnt too.
 */
const MIX: ReadonlyArray<readonly [number, (ctx: StoryContext) => Sentence]> = [
  [0.2, pronounSentence],
  [0.26, ioiSentence],
  [0.26, questionOrStatement],
  [0.04, whQuestion],
  [0.24, fillerSentence],
];

function nextSentence(ctx: StoryContext): Sentence {
  let r = ctx.rng();
  for (const [p, make] of MIX) {
    if (r < p) return make(ctx);
    r -= p;
  }
  return fillerSentence(ctx);
}

export const MIN_STORY_SENTENCES = 4;
export const MAX_STORY_SENTENCES = 8;

/** `count` v1 stories, identical for the same seed. */
export function generateStoriesV1(seed: number, count: number): Story[] {
  const rng: Rng = seedrandom(`faithbench-corpus-v1:${seed}`);
  const stories: Story[] = [];
  for (let s = 0; s < count; s++) {
    const ctx: StoryContext = { rng, hero: pick(rng, NAMES) };
    const n = MIN_STORY_SENTENCES + Math.floor(rng() * (MAX_STORY_SENTENCES - MIN_STORY_SENTENCES + 1));
    const story: Story = [openingSentence(ctx)];
    while (story.length < n) story.push(nextSentence(ctx));
    stories.push(story);
  }
  return stories;
}

