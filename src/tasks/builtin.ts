// The four built-in tasks of DESIGN.md §4, defined through the public defineTask like any
// researcher's task. Template lists come already split from the corpus lexicon (disjoint
// per split); names and function words are shared by all splits. Each task's templates
// have a fixed word count, so all its prompts have one token length:
//   pronoun / nonsense  <bos> when {name} {action:2} ,                   6 tokens
//   ioi                 <bos> when {name1} {situation:2} , {name2} {verb}  8 tokens
//     corpus v2 models   also <bos> {name1} {situation:2} , so {name2} {verb} (name1 at token 1, not 2)
//   questions           <bos> + a 5-word question or statement          6 tokens
// Only IOI has a corpus variant (v2, which v3 models use too); every other task, and IOI for v1
// models, is as it always was.
import {
  LEXICON, NAMES, PLURAL_AUX, PLURAL_SUBJECTS, SINGULAR_AUX, SINGULAR_SUBJECTS,
  genderOf, objectPronoun, subjectPronoun, type Gender,
} from '../corpus/vocab.ts';
import { CORE_SPLITS, defineTask, type PromptSpec } from './define.ts';

type CoreSplit = (typeof CORE_SPLITS)[number];
const other = (g: Gender): Gender => (g === 'male' ? 'female' : 'male');
const phrase = (p: string): string[] => p.split(' ');

/** "when {name} {action} ," for every name and every action of the split. */
function pronounPrompts(split: CoreSplit, answer: (g: Gender) => { target: string; foil: string }): PromptSpec[] {
  const out: PromptSpec[] = [];
  for (const action of LEXICON.actions[split]) {
    for (const name of NAMES) {
      const g = genderOf(name)!;
      out.push({ words: ['when', name, ...phrase(action), ','], ...answer(g), template: action, meta: { name, gender: g, action } });
    }
  }
  return out;
}

const pronounAnswer = (g: Gender) => ({ target: subjectPronoun(g), foil: subjectPronoun(other(g)) });
// Nonsense: an arbitrary gender → token map the model never learnt (`is`/`when` never follow
// this prefix in the corpus). A method that "finds" a small circuit for it is fitting, not finding.
const nonsenseAnswer = (g: Gender) => (g === 'male' ? { target: 'is', foil: 'when' } : { target: 'when', foil: 'is' });

/** Ordered (name1, name2) pairs of distinct names, opposite- or same-gender. */
function namePairs(kind: 'opposite' | 'same'): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const a of NAMES) {
    for (const b of NAMES) {
      if (a === b) continue;
      if ((genderOf(a) === genderOf(b)) === (kind === 'same')) pairs.push([a, b]);
    }
  }
  return pairs;
}

/**
 * IOI prompt forms, all 7 words: corpus v1 has only `when`; v2 stories also write `so`, which
 * puts name1 first, so name1's position varies while the prompt length does not.
 */
const IOI_FORMS = {
  when: (name1: string, situation: string, name2: string, verb: string) => ['when', name1, ...phrase(situation), ',', name2, verb],
  so: (name1: string, situation: string, name2: string, verb: string) => [name1, ...phrase(situation), ',', 'so', name2, verb],
} as const;
type IoiForm = keyof typeof IOI_FORMS;

/** "when {name1} {situation} , {name2} {verb}" (and the other forms given) → him/her by name1's gender. */
function ioiPrompts(split: CoreSplit, kind: 'opposite' | 'same', forms: readonly IoiForm[] = ['when']): PromptSpec[] {
  const out: PromptSpec[] = [];
  for (const form of forms) {
    for (const situation of LEXICON.situations[split]) {
      for (const verb of LEXICON.ioiVerbs[split]) {
        for (const [name1, name2] of namePairs(kind)) {
          const g = genderOf(name1)!;
          out.push({
            words: IOI_FORMS[form](name1, situation, name2, verb),
            target: objectPronoun(g),
            foil: objectPronoun(other(g)),
            // v1's template and meta exactly as before (its prompts must not change); v2's name the form
            ...(forms.length === 1
              ? { template: `${situation} | ${verb}`, meta: { name1, name2, situation, verb, pair: kind, gender: g } }
              : { template: `${form} | ${situation} | ${verb}`, stratum: form, meta: { name1, name2, situation, verb, pair: kind, gender: g, form } }),
          });
        }
      }
    }
  }
  return out;
}
const IOI_V2_FORMS: readonly IoiForm[] = ['when', 'so'];

/**
 * Five-word minimal pairs, each word order once as a question (`?`) and once as a
 * statement (`.`): "do you like the cake" / "you do like the cake", "is he at the park" /
 * "he is at the park", "is the cake very big" / "the cake is very big". The `form` is the
 * stratum, so a limited draw is not all of the (much larger) auxiliary form.
 */
function questionPrompts(split: CoreSplit): PromptSpec[] {
  const out: PromptSpec[] = [];
  const push = (form: string, template: string, question: string, statement: string) => {
    out.push({ words: phrase(question), target: '?', foil: '.', template, stratum: form, meta: { kind: 'question', form } });
    out.push({ words: phrase(statement), target: '.', foil: '?', template, stratum: form, meta: { kind: 'statement', form } });
  };
  const subjects: Array<[string, readonly string[], string]> = [
    ...PLURAL_SUBJECTS.map((s): [string, readonly string[], string] => [s, PLURAL_AUX, 'are']),
    ...SINGULAR_SUBJECTS.map((s): [string, readonly string[], string] => [s, SINGULAR_AUX, 'is']),
  ];
  for (const verb of LEXICON.questionVerbs[split]) {
    for (const noun of LEXICON.nouns[split]) {
      for (const [subj, auxes] of subjects) {
        for (const aux of auxes) push('aux', `aux | ${verb} | ${noun}`, `${aux} ${subj} ${verb} the ${noun}`, `${subj} ${aux} ${verb} the ${noun}`);
      }
    }
  }
  for (const place of LEXICON.places[split]) {
    for (const [subj, , be] of subjects) {
      for (const prep of ['at', 'in']) push('place', `place | ${place}`, `${be} ${subj} ${prep} the ${place}`, `${subj} ${be} ${prep} the ${place}`);
    }
  }
  for (const noun of LEXICON.nouns[split]) {
    for (const adj of LEXICON.objectAdjectives[split]) {
      push('thing', `thing | ${noun} | ${adj}`, `is the ${noun} very ${adj}`, `the ${noun} is very ${adj}`);
    }
  }
  return out;
}

const perSplit = (make: (split: CoreSplit) => PromptSpec[]) => ({
  train: () => make('train'),
  validation: () => make('validation'),
  test: () => make('test'),
});

export const BUILTIN_TASK_IDS = ['pronoun', 'ioi', 'questions', 'nonsense'] as const;

defineTask({
  id: 'pronoun',
  description: 'pronoun agreement: "when {name} {action} ," → he/she by the name\'s gender',
  loss: 'full-ce',
  targetDescription: 'he for a male name, she for a female name',
  foilDescription: 'the other pronoun',
  splits: perSplit((s) => pronounPrompts(s, pronounAnswer)),
});

const IOI_V2_SPLITS = {
  ...perSplit((s) => ioiPrompts(s, 'opposite', IOI_V2_FORMS)),
  'same-gender': () => ioiPrompts('test', 'same', IOI_V2_FORMS),
};

defineTask({
  id: 'ioi',
  description: 'simplified IOI: "when {name1} {situation} , {name2} {verb}" → him/her referring to name1',
  loss: 'binary-ce',
  targetDescription: 'him/her agreeing with name1',
  foilDescription: 'the other object pronoun',
  splits: {
    ...perSplit((s) => ioiPrompts(s, 'opposite')),
    // Same-gender pairs on the test templates: "the other gender than name2" is wrong here,
    // so only a circuit that tracks name1 generalizes (the same-gender check, DESIGN §6.3).
    'same-gender': () => ioiPrompts('test', 'same'),
  },
  corpusVariants: {
    // v2 models: name1 at token 1 or 2, so a circuit cannot find it by position alone
    // and v3 models too (a variant holds from its version on): v3 writes v2's sentence forms, only
    // some same-gender pronouns differ, and the task still asks for name1
    '2': IOI_V2_SPLITS,
  },
});

defineTask({
  id: 'questions',
  description: 'question or statement: a 5-word sentence without its last token → ? or .',
  loss: 'binary-ce',
  targetDescription: '? after a question, . after a statement',
  foilDescription: 'the other end mark',
  splits: perSplit(questionPrompts),
});

defineTask({
  id: 'nonsense',
  description: 'nonsense control on pronoun prompts: male name → "is", female name → "when"',
  loss: 'full-ce',
  targetDescription: 'is for a male name, when for a female name',
  foilDescription: 'the other of is/when',
  splits: perSplit((s) => pronounPrompts(s, nonsenseAnswer)),
});
