import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { taskPrompts } from '../src/tasks/prompts.ts';
import { decode, genderOf, tokenId } from '../src/corpus/index.ts';
import {
  BUILTIN_TASK_IDS, defineTask, expandTemplate, getPrompts, getTask, listTasks, stackPrompts, type PromptSpec,
  type TaskDefinition,
} from '../src/tasks/index.ts';

const CORE = ['train', 'validation', 'test'] as const;
const words = (ids: readonly number[]) => decode(ids);

describe('built-in tasks', () => {
  it('are all registered with the expected losses and splits', () => {
    expect(listTasks().map((t) => t.id)).toEqual(expect.arrayContaining([...BUILTIN_TASK_IDS]));
    expect(getTask('pronoun').loss).toBe('full-ce');
    expect(getTask('nonsense').loss).toBe('full-ce');
    expect(getTask('ioi').loss).toBe('binary-ce');
    expect(getTask('questions').loss).toBe('binary-ce');
    expect(getTask('ioi').splits).toEqual(['train', 'validation', 'test', 'same-gender']);
  });

  it('give every prompt of a task (all splits) the same length, starting with <bos>', () => {
    const expected: Record<string, number> = { pronoun: 6, nonsense: 6, ioi: 8, questions: 6 };
    for (const id of BUILTIN_TASK_IDS) {
      const task = getTask(id);
      expect(task.promptLength).toBe(expected[id]);
      for (const split of task.splits) {
        const ps = task.prompts(split);
        expect(ps.length).toBeGreaterThan(0);
        // collect violations and assert once: per-prompt expect() is slow over ~15k prompts
        const bad = ps.filter((p) => p.ids.length !== task.promptLength || p.ids[0] !== tokenId('<bos>') ||
          p.target === p.foil || words(p.ids.slice(1)).join(' ') !== p.text);
        expect(bad, `${id}/${split}`).toEqual([]);
      }
    }
  });

  it('keep train / validation / test templates and content words disjoint', () => {
    for (const id of BUILTIN_TASK_IDS) {
      const task = getTask(id);
      const templates = CORE.map((s) => new Set(task.prompts(s).map((p) => p.meta!.template)));
      for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) {
        for (const t of templates[a]) expect(templates[b].has(t), `${id}: ${t} in ${CORE[a]} and ${CORE[b]}`).toBe(false);
      }
      // stronger: the content words (not names, pronouns, function words) differ across splits
      const shared = new Set(['<bos>', 'when', ',', 'was', 'felt', 'got', 'the', 'very', 'at', 'in', 'is', 'are',
        'do', 'does', 'did', 'can', 'will', 'you', 'we', 'they', 'he', 'she',
        'Leo', 'Samuel', 'Jose', 'Peter', 'Alex', 'Mia', 'Rita', 'Kim', 'Maria', 'Lily']);
      const content = CORE.map((s) => new Set(task.prompts(s).flatMap((p) => words(p.ids)).filter((w) => !shared.has(w))));
      for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) {
        for (const w of content[a]) expect(content[b].has(w), `${id}: "${w}" in ${CORE[a]} and ${CORE[b]}`).toBe(false);
      }
    }
  });

  it('pronoun: he/she by the name\'s gender; nonsense: is for male, when for female', () => {
    for (const split of CORE) {
      for (const p of getTask('pronoun').prompts(split)) {
        const male = genderOf(words(p.ids)[2]) === 'male';
        expect(words([p.target, p.foil])).toEqual(male ? ['he', 'she'] : ['she', 'he']);
      }
      for (const p of getTask('nonsense').prompts(split)) {
        const male = genderOf(words(p.ids)[2]) === 'male';
        expect(words([p.target, p.foil])).toEqual(male ? ['is', 'when'] : ['when', 'is']);
      }
      // nonsense uses exactly the pronoun prompts
      expect(getTask('nonsense').prompts(split).map((p) => p.text)).toEqual(getTask('pronoun').prompts(split).map((p) => p.text));
    }
  });

  it('ioi: him/her refers to name1; opposite-gender pairs in core splits, same-gender in same-gender', () => {
    const ioi = getTask('ioi');
    for (const split of ioi.splits) {
      const bad = ioi.prompts(split).filter((p) => {
        const w = words(p.ids);
        const [g1, g2] = [genderOf(w[2]), genderOf(w[6])];
        const answer = words([p.target, p.foil]).join('/');
        return !g1 || !g2 || w[2] === w[6] || (g1 === g2) !== (split === 'same-gender') ||
          answer !== (g1 === 'male' ? 'him/her' : 'her/him');
      });
      expect(bad, split).toEqual([]);
    }
    // same-gender reuses exactly the test templates
    const tmpl = (s: string) => new Set(ioi.prompts(s).map((p) => p.meta!.template));
    expect(tmpl('same-gender')).toEqual(tmpl('test'));
  });

  it('questions: ? after a question, . after a statement, both kinds present', () => {
    for (const split of CORE) {
      const ps = getTask('questions').prompts(split);
      for (const p of ps) {
        const kind = p.meta!.kind;
        expect(words([p.target, p.foil])).toEqual(kind === 'question' ? ['?', '.'] : ['.', '?']);
        const w = words(p.ids);
        // questions start with an auxiliary or be; statements with the subject
        expect(['do', 'does', 'did', 'can', 'will', 'is', 'are'].includes(w[1])).toBe(kind === 'question');
      }
      expect(ps.filter((p) => p.meta!.kind === 'question').length).toBe(ps.length / 2);
    }
  });
});

describe('getPrompts', () => {
  it('is deterministic per seed, balanced between targets, and respects limit', () => {
    const a = getPrompts('ioi', 'train', { seed: 3, limit: 100 });
    expect(a).toEqual(getPrompts('ioi', 'train', { seed: 3, limit: 100 }));
    expect(a.map((p) => p.text)).not.toEqual(getPrompts('ioi', 'train', { seed: 4, limit: 100 }).map((p) => p.text));
    expect(a).toHaveLength(100);
    expect(a.filter((p) => p.target === tokenId('him'))).toHaveLength(50);
    expect(new Set(a.map((p) => p.text)).size).toBe(100);
    expect(getPrompts('pronoun', 'test', { limit: 10_000 })).toHaveLength(getTask('pronoun').prompts('test').length);
    const q = getPrompts('questions', 'test', { limit: 60 });
    for (const form of ['aux', 'place', 'thing']) expect(q.filter((p) => p.meta!.form === form)).toHaveLength(20);
  });

  it('stacks prompts into flat [B, T] arrays', () => {
    const ps = getPrompts('ioi', 'same-gender', { limit: 5 });
    const b = stackPrompts(ps);
    expect(b.batch).toBe(5);
    expect(b.length).toBe(8);
    expect(b.ids.length).toBe(40);
    expect([...b.ids.subarray(8, 16)]).toEqual(ps[1].ids);
    expect([...b.targets]).toEqual(ps.map((p) => p.target));
    expect([...b.foils]).toEqual(ps.map((p) => p.foil));
  });

  it('names the known tasks and splits on a bad id', () => {
    expect(() => getTask('nope')).toThrow(/unknown task 'nope' \(known: .*pronoun.*ioi.*questions.*nonsense/);
    expect(() => getPrompts('nope', 'train')).toThrow(/unknown task/);
    expect(() => getPrompts('ioi', 'nope')).toThrow(/no split 'nope' \(splits: train, validation, test, same-gender\)/);
  });
});

describe('defineTask', () => {
  const spec = (name: string, extra: Partial<PromptSpec> = {}): PromptSpec => ({
    words: [name, 'was', 'happy', '.', 'then'],
    target: genderOf(name) === 'male' ? 'he' : 'she',
    foil: genderOf(name) === 'male' ? 'she' : 'he',
    template: name,
    ...extra,
  });
  const base = (id: string, over: Partial<TaskDefinition> = {}): TaskDefinition => ({
    id,
    description: 'pronoun after then',
    loss: 'binary-ce',
    targetDescription: 'he/she by the name',
    foilDescription: 'the other pronoun',
    splits: { train: [spec('Leo'), spec('Mia')], validation: [spec('Kim')], test: () => [spec('Peter')] },
    ...over,
  });

  it('registers a researcher-defined task (the docstring example)', () => {
    const female = new Set(['Mia', 'Kim']);
    const prompts = (names: string[]) =>
      expandTemplate('{name} was happy . then', { name: names }).map(({ words, slots }) => ({
        words, target: female.has(slots.name) ? 'she' : 'he', foil: female.has(slots.name) ? 'he' : 'she', template: slots.name,
      }));
    const task = defineTask({
      id: 'then-pronoun', description: 'subject pronoun after "then"', loss: 'binary-ce',
      targetDescription: 'he/she by the name', foilDescription: 'the other pronoun',
      splits: { train: prompts(['Leo', 'Mia']), validation: prompts(['Kim']), test: prompts(['Peter']) },
    });
    expect(task.promptLength).toBe(6);
    expect(getTask('then-pronoun')).toBe(task);
    expect(getPrompts('then-pronoun', 'train').map((p) => p.text).sort()).toEqual(['Leo was happy . then', 'Mia was happy . then']);
  });

  it('expands templates as a cartesian product, splitting phrase values into words', () => {
    const out = expandTemplate('when {name} {action} ,', { name: ['Leo', 'Mia'], action: ['ran home', 'sat down'] });
    expect(out).toHaveLength(4);
    expect(out[0]).toEqual({ words: ['when', 'Leo', 'ran', 'home', ','], slots: { name: 'Leo', action: 'ran home' } });
    expect(() => expandTemplate('{x}', {})).toThrow(/slot \{x\}/);
  });

  const rejects: Array<[string, () => TaskDefinition, RegExp]> = [
    ['a bad id', () => base('Bad Id'), /invalid task definition 'Bad Id': id: task id must be lowercase/],
    ['an unknown loss', () => base('t1', { loss: 'mse' as never }), /invalid task definition 't1': loss: /],
    ['a missing split', () => base('t2', { splits: { train: [spec('Leo')], validation: [spec('Kim')] } as never }), /missing split 'test'/],
    ['a split that is not a list', () => base('t3', { splits: { train: 5, validation: [], test: [] } as never }), /splits\.train: a split must be an array/],
    ['an empty split', () => base('t4', { splits: { train: [spec('Leo')], validation: [], test: [spec('Kim')] } }), /split 'validation' has no prompts/],
    ['an unknown word', () => base('t5', { splits: { train: [spec('Leo', { words: ['Leo', 'was', 'very', 'zorg', 'then'] })], validation: [spec('Kim')], test: [spec('Mia')] } }), /split 'train' prompt 0: unknown word "zorg"/],
    ['target equal to foil', () => base('t6', { splits: { train: [spec('Leo', { foil: 'he' })], validation: [spec('Kim')], test: [spec('Mia')] } }), /target and foil are both "he"/],
    ['prompts of different lengths', () => base('t7', { splits: { train: [spec('Leo')], validation: [spec('Kim', { words: ['Kim', 'was', 'happy', 'then'] })], test: [spec('Mia')] } }), /split 'validation' prompt 0 has 5 tokens but earlier prompts have 6/],
    ['a template in two splits', () => base('t8', { splits: { train: [spec('Leo')], validation: [spec('Kim')], test: [spec('Leo')] } }), /template "Leo" is in both 'train' and 'test'/],
    ['a malformed prompt', () => base('t9', { splits: { train: [{ words: [], target: 'he' } as never], validation: [spec('Kim')], test: [spec('Mia')] } }), /split 'train' prompt 0: words: a prompt needs at least one word; foil: /],
    ['a throwing prompt function', () => base('t10', { splits: { train: () => { throw new Error('boom'); }, validation: [spec('Kim')], test: [spec('Mia')] } }), /split 'train': its prompt function threw: boom/],
    ['a duplicate id', () => base('pronoun'), /invalid task definition 'pronoun': a task with this id is already defined/],
    ['a variant for a corpus version that does not exist', () => base('t11', { corpusVariants: { '4': { train: [spec('Leo')], validation: [spec('Kim')], test: [spec('Mia')] } } as never }), /invalid task definition 't11': corpusVariants\.4: corpus version "4" does not exist \(known: 1, 2, 3\)/],
    ['a corpus variant with other split names', () => base('t12', { corpusVariants: { '2': { train: [spec('Leo')], validation: [spec('Kim')], test: [spec('Mia')], extra: [spec('Alex')] } } }), /corpus v2 variant has splits train, validation, test, extra; it must have exactly the task's \(train, validation, test\)/],
    ['a corpus variant of another prompt length', () => base('t13', { corpusVariants: { '2': { train: [spec('Leo')], validation: [spec('Kim', { words: ['Kim', 'was', 'happy', 'then'] })], test: [spec('Mia')] } } }), /corpus v2: split 'validation' prompt 0 has 5 tokens but earlier prompts have 6/],
    ['a corpus variant with a template in two splits', () => base('t14', { corpusVariants: { '2': { train: [spec('Leo')], validation: [spec('Kim')], test: [spec('Leo')] } } }), /corpus v2: template "Leo" is in both 'train' and 'test'/],
  ];
  for (const [what, def, message] of rejects) {
    it(`rejects ${what} with a one-line message`, () => {
      let err: unknown;
      try {
        defineTask(def());
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('does not register a rejected task', () => {
    expect(() => getTask('t8')).toThrow(/unknown task/);
  });

  it('a corpus variant holds from its version on: v3 models get the v2 variant, v1 models the task\'s own splits', () => {
    const task = defineTask(base('variant-carry', {
      corpusVariants: { '2': { train: [spec('Alex')], validation: [spec('Rita')], test: () => [spec('Lily')] } },
    }));
    expect(task.prompts('train', '1').map((p) => p.text)).toEqual(['Leo was happy . then', 'Mia was happy . then']);
    expect(task.prompts('train').map((p) => p.text)).toEqual(['Leo was happy . then', 'Mia was happy . then']);
    expect(task.prompts('train', '2').map((p) => p.text)).toEqual(['Alex was happy . then']);
    expect(task.prompts('train', '3')).toEqual(task.prompts('train', '2'));
  });
});

describe('task prompts per corpus version', () => {
  const sha = (x: unknown) => createHash('sha256').update(JSON.stringify(x)).digest('hex');
  // Hashes of every task's prompts taken before corpus v2 existed: v1 models (the whole shipped
  // zoo) must be judged on exactly these, whatever other versions add.
  const V1: Array<[string, string, number, string]> = [
    ['pronoun', 'train', 160, 'cf3c83a2b5ce94a9a4a635cd6f011ce7f4eb912755526d869a1b0f63e15cf2af'],
    ['pronoun', 'test', 70, 'a2d4fbed89922f34cf4235035296c2e35a8670e57d17923866033733387434d1'],
    ['ioi', 'train', 8000, 'c3be71d8d1dfe15ab447e0705a16bd4aecadcfc19a27badd6842e715dd5534ad'],
    ['ioi', 'validation', 2000, 'bfd9eb19cb939df64a3ef9b5be4a1fb9b590341d81580e59677c32da65bf7653'],
    ['ioi', 'test', 2000, '9d098e91c637d37c271060c7c560b3a2af355b02f6fc14c9457428170eef8256'],
    ['ioi', 'same-gender', 1600, 'f11504d7b5075612ce816da120ce2928b8f3478190d263bede5ae68a93151462'],
    ['questions', 'test', 584, '110ce7927f1006b0bedff0094cf97c379fe2012bff9b28a4a2fae265a39b354f'],
    ['nonsense', 'test', 70, 'b87da991c7f33058dc6d55e491bbe67225695509f64eed6d0337a2d9f9d8260a'],
  ];
  it('v1 models get exactly the prompts they always had', () => {
    for (const [task, split, n, hash] of V1) {
      for (const corpus of [undefined, '1']) {
        const ps = getTask(task).prompts(split, corpus);
        expect(ps.length, `${task} ${split}`).toBe(n);
        expect(sha(ps), `${task} ${split} corpus ${corpus}`).toBe(hash);
      }
      expect(getPrompts(task, split, { seed: 3, corpus: '1' })).toEqual(getPrompts(task, split, { seed: 3 }));
    }
  });

  it('v2 models get IOI with name1 at token 1 or 2 and the prompt length unchanged; other tasks as v1', () => {
    const ioi = getTask('ioi');
    expect(ioi.corpusVariants).toEqual(['2']);
    for (const split of ioi.splits) {
      // a variant holds from its version on: v3 models (v2's sentence forms) get v2's prompts
      expect(ioi.prompts(split, '3'), split).toEqual(ioi.prompts(split, '2'));
      const ps = ioi.prompts(split, '2');
      expect(ps.length, split).toBe(2 * ioi.prompts(split).length);
      const at = { 1: 0, 2: 0 } as Record<number, number>;
      for (const p of ps) {
        expect(p.ids).toHaveLength(ioi.promptLength);
        const w = words(p.ids);
        const n1 = w[1] === 'when' ? 2 : 1;
        at[n1]++;
        const [g1, g2] = [genderOf(w[n1]), genderOf(w[6])];
        expect(g1 && g2 && w[n1] !== w[6], p.text).toBeTruthy();
        expect((g1 === g2) === (split === 'same-gender'), p.text).toBe(true);
        expect(words([p.target, p.foil]).join('/'), p.text).toBe(g1 === 'male' ? 'him/her' : 'her/him');
        if (n1 === 1) expect(w[5], p.text).toBe('so');
      }
      expect(at[1], split).toBe(at[2]);
      // the v1 prompts are the "when" half
      const v1 = new Set(ioi.prompts(split).map((p) => p.text));
      expect(ps.filter((p) => v1.has(p.text))).toHaveLength(ioi.prompts(split).length);
    }
    // a balanced draw mixes both forms
    const draw = getPrompts('ioi', 'test', { seed: 0, limit: 16, corpus: '2' });
    expect(new Set(draw.map((p) => p.meta!.form))).toEqual(new Set(['when', 'so']));
    for (const t of ['pronoun', 'questions', 'nonsense']) expect(getTask(t).prompts('test', '2')).toBe(getTask(t).prompts('test'));
  });

  it('taskPrompts refuses a prompt with a word the model\'s corpus lacks', () => {
    const reflexive = (name: string): PromptSpec => ({ words: ['when', name, 'helped', genderOf(name) === 'male' ? 'himself' : 'herself', ','], target: 'he', foil: 'she', template: name });
    defineTask({
      id: 'reflexive-words', description: 'uses a corpus v2 word', loss: 'binary-ce', targetDescription: 'he', foilDescription: 'she',
      splits: { train: [reflexive('Leo')], validation: [reflexive('Mia')], test: [reflexive('Kim')] },
    });
    expect(taskPrompts('reflexive-words', 'test', { corpus: '2' })).toHaveLength(1);
    expect(() => taskPrompts('reflexive-words', 'test', { corpus: '1' })).toThrow(/^task 'reflexive-words' prompt "when Kim helped herself ," uses a word that corpus v1 does not have$/);
  });
});
