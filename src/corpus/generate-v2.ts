// Corpus v2's story generator: v1's structures plus the cues natural text gives a model for
// IOI, so that "the pronoun of the gender opposite to name2" is a shortcut a model can learn and
// a pruning method can find (the background replication's "bad circuit"; DESIGN §4):
//   ioi           "when {name1} {situation} , {name2} {verb} {him|her} ."  or
//                 "{name1} {situation} , so {name2} {verb} {him|her} ."   (name1 at token 1 or 2 of
//                 a prompt of one fixed length); him/her refers to name1; same-gender pairs are rare
//   object-other  "{name} {verb} {him|her} ." whose referent is someone of the other gender introduced
//                 earlier (the sentence before, or the story's hero, possibly out of the window)
//   reflexive     "{name} {verb} {himself|herself} ." for the subject itself
//   possessives never sit right after "{name} {verb}" (v1's "Mia lost her cake" taught that the word
//   after a name and a verb agrees with that name); they follow a preposition ("at her school")
// So the object slot after "{name} {verb}" is the other gender in every sentence but rare
// same-gender IOI, where only tracking name1 is right. Invariants the tasks rely on (as v1):
// after "when {name} {action} ," comes he/she; an IOI verb is followed by an object or reflexive
// pronoun; every sentence ends in `.` or `?`. All randomness from seedrandom.
import seedrandom from 'seedrandom';
import {
  LEXICON, NAMES, allOf, genderOf, objectPronoun, possessivePronoun, reflexivePronoun,
  subjectPronoun, type Gender,
} from './vocab.ts';
import { MAX_STORY_SENTENCES, MIN_STORY_SENTENCES, questionOrStatement, whQuestion, type StoryContext } from './generate-v1.ts';
import { nameOfGender, other, pick, words, type Rng, type Sentence, type Story } from './story.ts';

/** Share of IOI sentences whose two names have the same gender (DESIGN §4: rare, 5–15%). */
export const SAME_GENDER_IOI_SHARE = 0.12;
/**
 * v3: share of same-gender IOI sentences whose object pronoun refers to a third person of the other
 * gender, not named in the sentence ("when Leo sat , Peter gave her ." — her: someone else). Natural
 * text has such sentences; they are what makes "the gender opposite to name2" worth learning and a
 * model's same-gender IOI imperfect (the replication's 0.81). With nothing else in the prompt to
 * tell the cases apart, a calibrated model gives name1's pronoun 1 − this share on same-gender prompts.
 */
export const SAME_GENDER_OTHER_REFERENT_SHARE = 0.2;
/** Share of object-other sentences whose referent is the story's hero, named only in the story's opening. */
const HERO_REFERENT_SHARE = 0.5;

const ACTIONS = allOf(LEXICON.actions);
const SITUATIONS = allOf(LEXICON.situations);
const IOI_VERBS = allOf(LEXICON.ioiVerbs);
const NOUNS = allOf(LEXICON.nouns);
const PLACES = allOf(LEXICON.places);
const OBJECT_ADJS = allOf(LEXICON.objectAdjectives);
const MOODS = LEXICON.moods;

/** What distinguishes the versions this generator writes. */
interface Variant {
  seedPrefix: string;
  /** same-gender IOI sentences whose pronoun refers to a third person of the other gender (v2: none) */
  otherReferentShare: number;
}
const V2: Variant = { seedPrefix: 'faithbench-corpus-v2', otherReferentShare: 0 };
const V3: Variant = { seedPrefix: 'faithbench-corpus-v3', otherReferentShare: SAME_GENDER_OTHER_REFERENT_SHARE };

type Context = StoryContext & { variant: Variant };

const gender = (name: string): Gender => genderOf(name)!;
const someone = (ctx: StoryContext): string => (ctx.rng() < 0.5 ? ctx.hero : pick(ctx.rng, NAMES));

// ---- pronoun agreement (as v1, without a possessive right after a verb) -------------------

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
    () => `took the ${pick(rng, NOUNS)}`,
    () => `played at ${possessivePronoun(g)} ${pick(rng, PLACES)}`,
  ];
  return pick(rng, options)();
}

function pronounSentence(ctx: StoryContext): Sentence[] {
  const name = someone(ctx);
  const g = gender(name);
  return [words('when', name, pick(ctx.rng, ACTIONS), ',', subjectPronoun(g), continuation(ctx, g), '.')];
}

// ---- IOI: name1 at one of two positions, same-gender rare --------------------------------

function ioiSentence(ctx: Context): Sentence[] {
  const { rng } = ctx;
  const name1 = someone(ctx);
  const g1 = gender(name1);
  const sameGender = rng() < SAME_GENDER_IOI_SHARE;
  const name2 = nameOfGender(rng, sameGender ? g1 : other(g1), name1);
  const situation = pick(rng, SITUATIONS);
  const verb = pick(rng, IOI_VERBS);
  const clause = rng() < 0.5 ? ['when', name1, situation, ','] : [name1, situation, ', so'];
  // v2 draws nothing here (its stories stay byte-identical); v3 draws only for same-gender pairs
  const thirdPerson = sameGender && ctx.variant.otherReferentShare > 0 && rng() < ctx.variant.otherReferentShare;
  return [words(...clause, name2, verb, objectPronoun(thirdPerson ? other(g1) : g1), '.')];
}

// ---- object pronouns for someone other than the subject, and reflexives for the subject -----

function introduce(ctx: StoryContext, name: string): Sentence {
  const { rng } = ctx;
  return words(pick(rng, [`${name} ${pick(rng, SITUATIONS)}`, `${name} went to the ${pick(rng, PLACES)}`, `${name} is ${pick(rng, MOODS)}`]), '.');
}

/** "{subject} {verb} {him|her} ." about a person of the other gender: introduced just before, or the hero. */
function objectOtherSentence(ctx: StoryContext): Sentence[] {
  const { rng } = ctx;
  if (rng() < HERO_REFERENT_SHARE) {
    const subject = nameOfGender(rng, other(gender(ctx.hero)));
    return [words(subject, pick(rng, IOI_VERBS), objectPronoun(gender(ctx.hero)), '.')];
  }
  const referent = pick(rng, NAMES);
  const subject = nameOfGender(rng, other(gender(referent)));
  return [introduce(ctx, referent), words(subject, pick(rng, IOI_VERBS), objectPronoun(gender(referent)), '.')];
}

/** "{name} {verb} {himself|herself} .", sometimes right after another person of the other gender is introduced. */
function reflexiveSentence(ctx: StoryContext): Sentence[] {
  const { rng } = ctx;
  const subject = someone(ctx);
  const s = words(subject, pick(rng, IOI_VERBS), reflexivePronoun(gender(subject)), '.');
  return rng() < 0.5 ? [s] : [introduce(ctx, nameOfGender(rng, other(gender(subject)))), s];
}

// ---- filler (as v1, possessives after a preposition) ----------------------------------------

function fillerSentence(ctx: StoryContext): Sentence[] {
  const { rng } = ctx;
  const a = someone(ctx);
  const b = pick(rng, NAMES.filter((n) => n !== a));
  const options: Array<() => string> = [
    () => `${a} went to the ${pick(rng, PLACES)}`,
    () => `${a} is ${pick(rng, MOODS)}`,
    () => `${a} was very ${pick(rng, MOODS)}`,
    () => `${a} and ${b} played at the ${pick(rng, PLACES)}`,
    () => `the ${pick(rng, NOUNS)} was ${pick(rng, OBJECT_ADJS)}`,
    () => `${a} lost the ${pick(rng, NOUNS)}`,
    () => `${a} saw a ${pick(rng, OBJECT_ADJS.filter((x) => !/^[aeiou]/.test(x)))} ${pick(rng, NOUNS)}`,
    () => `it was a ${pick(rng, MOODS)} day`,
    () => `then ${subjectPronoun(gender(ctx.hero))} went home`,
    () => `${a} liked the ${pick(rng, NOUNS)}`,
    () => 'they went home together',
    () => `${a} took the ${pick(rng, NOUNS)} to ${possessivePronoun(gender(a))} ${pick(rng, PLACES)}`,
  ];
  return [words(pick(rng, options)(), '.')];
}

function openingSentence(ctx: StoryContext): Sentence {
  const { rng, hero } = ctx;
  return words(pick(rng, [`${hero} went to the ${pick(rng, PLACES)}`, `${hero} is ${pick(rng, MOODS)}`, `${hero} was very ${pick(rng, MOODS)}`]), '.');
}

/** Share of draws after the opening sentence (object-other and reflexive draws may add an introduction). */
const MIX: ReadonlyArray<readonly [number, (ctx: Context) => Sentence[]]> = [
  [0.18, pronounSentence],
  [0.22, ioiSentence],
  [0.08, objectOtherSentence],
  [0.06, reflexiveSentence],
  [0.26, (ctx) => [questionOrStatement(ctx)]],
  [0.04, (ctx) => [whQuestion(ctx)]],
  [0.16, fillerSentence],
];

function nextSentences(ctx: Context): Sentence[] {
  let r = ctx.rng();
  for (const [p, make] of MIX) {
    if (r < p) return make(ctx);
    r -= p;
  }
  return fillerSentence(ctx);
}

/** `count` v2 stories, identical for the same seed. */
export function generateStoriesV2(seed: number, count: number): Story[] {
  return generate(V2, seed, count);
}

/** `count` v3 stories (v2 with third-person referents in same-gender IOI), identical for the same seed. */
export function generateStoriesV3(seed: number, count: number): Story[] {
  return generate(V3, seed, count);
}

function generate(variant: Variant, seed: number, count: number): Story[] {
  const rng: Rng = seedrandom(`${variant.seedPrefix}:${seed}`);
  const stories: Story[] = [];
  for (let s = 0; s < count; s++) {
    const ctx: Context = { rng, hero: pick(rng, NAMES), variant };
    const n = MIN_STORY_SENTENCES + Math.floor(rng() * (MAX_STORY_SENTENCES - MIN_STORY_SENTENCES + 1));
    const story: Story = [openingSentence(ctx)];
    // a two-sentence draw may run one past n: its introduction is never cut from its sentence
    while (story.length < n) story.push(...nextSentences(ctx));
    stories.push(story);
  }
  return stories;
}
