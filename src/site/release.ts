// The release label: which faithbench built the site, when, and which code computed each result.
// Results computed by different code may not be comparable, so a site whose results come from
// more than one code commit says so on every page. A run without a recorded commit counts as its
// own, unknown, code version.
import type { RunResult } from '../results/schema.ts';

export interface CommitGroup {
  /** The full commit, or null when the runs did not record one. */
  commit: string | null;
  short: string;
  runs: number;
  methods: string[];
  models: string[];
  tasks: string[];
  packages: string[];
  first: string;
  last: string;
}

export interface Release {
  /** The faithbench version that built the site. */
  version: string;
  /** Build time: ISO and as shown (minutes, UTC). */
  builtIso: string;
  built: string;
  builtYear: number;
  commits: CommitGroup[];
  mixed: boolean;
  /** One short phrase for the header: `code 07c2336de647`, `code from 3 commits`, … */
  codeText: string;
  /** The warning, when mixed. */
  mixedText: string;
}

export const shortCommit = (c: string | null): string => (c ? c.slice(0, 12) : 'unknown');

const sorted = (xs: string[]) => [...new Set(xs)].sort((a, b) => a.localeCompare(b));

export function commitGroups(runs: readonly RunResult[]): CommitGroup[] {
  const by = new Map<string, RunResult[]>();
  for (const r of runs) {
    const k = r.provenance.git_commit ?? '';
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  return [...by.entries()]
    .map(([k, rs]) => {
      const dates = rs.map((r) => r.provenance.date).sort();
      return {
        commit: k || null,
        short: shortCommit(k || null),
        runs: rs.length,
        methods: sorted(rs.map((r) => r.method.id)),
        models: sorted(rs.map((r) => r.model.id)),
        tasks: sorted(rs.map((r) => r.task)),
        packages: sorted(rs.map((r) => r.provenance.package_version)),
        first: dates[0],
        last: dates[dates.length - 1],
      };
    })
    .sort((a, b) => b.runs - a.runs || a.short.localeCompare(b.short));
}

export function releaseOf(runs: readonly RunResult[], version: string, builtAt: Date): Release {
  const commits = commitGroups(runs);
  const mixed = commits.length > 1;
  const list = commits.map((c) => `${c.short} (${c.runs} run${c.runs === 1 ? '' : 's'})`).join(', ');
  return {
    version,
    builtIso: builtAt.toISOString(),
    built: `${builtAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    builtYear: builtAt.getUTCFullYear(),
    commits,
    mixed,
    codeText: !commits.length ? 'no results' : mixed ? `results from ${commits.length} code commits` : commits[0].commit ? `results from code ${commits[0].short}` : 'results from unrecorded code',
    mixedText: mixed ? `These results come from ${commits.length} code versions: ${list}. Runs computed by different code may not be comparable.` : '',
  };
}

/** BibTeX entries for the citation page. */
export function citations(release: Release): Array<{ key: string; what: string; bibtex: string }> {
  const code = release.commits.length === 1 && release.commits[0].commit ? `, results from code commit ${release.commits[0].short}` : release.mixed ? `, results from ${release.commits.length} code commits` : '';
  return [
    {
      key: 'faithbench',
      what: 'faithbench itself (the benchmark, its checks and this leaderboard)',
      bibtex: [
        '@software{faithbench,',
        '  title   = {faithbench: an adversarial faithfulness benchmark for circuit-discovery (pruning) methods on small transformers},',
        '  author  = {{faithbench contributors}},',
        `  version = {${release.version}},`,
        `  year    = {${release.builtYear}},`,
        `  note    = {Leaderboard built ${release.built}${code}}`,
        '}',
      ].join('\n'),
    },
    {
      key: 'gao2025weightsparse',
      what: 'the origin of the method every built-in mask learner follows (weight-sparse models, node masks learned under a size penalty, pruning to a target loss)',
      bibtex: [
        '@article{gao2025weightsparse,',
        '  title   = {Weight-sparse transformers have interpretable circuits},',
        '  author  = {Gao, Leo and Rajaram, Achyuta and Coxon, Jacob and Govande, Soham V. and Baker, Bowen and Mossing, Dan},',
        '  journal = {arXiv preprint arXiv:2511.13653},',
        '  year    = {2025},',
        '  url     = {https://arxiv.org/abs/2511.13653}',
        '}',
      ].join('\n'),
    },
    {
      key: 'shi2024hypothesis',
      what: 'the minimality check',
      bibtex: [
        '@inproceedings{shi2024hypothesis,',
        '  title     = {Hypothesis Testing the Circuit Hypothesis in {LLMs}},',
        '  author    = {Shi, Claudia and Beltran-Velez, Nicolas and Nazaret, Achille and Zheng, Carolina and Garriga-Alonso, Adri{\\`a} and Jesson, Andrew and Makar, Maggie and Blei, David M.},',
        '  booktitle = {Advances in Neural Information Processing Systems},',
        '  year      = {2024},',
        '  url       = {https://arxiv.org/abs/2410.13032}',
        '}',
      ].join('\n'),
    },
    {
      key: 'mueller2025mib',
      what: 'the MIB faithfulness curve (CPR, CMD) reported beside the scores',
      bibtex: [
        '@inproceedings{mueller2025mib,',
        '  title     = {{MIB}: A Mechanistic Interpretability Benchmark},',
        '  author    = {Mueller, Aaron and Geiger, Atticus and Wiegreffe, Sarah and others},',
        '  booktitle = {International Conference on Machine Learning},',
        '  year      = {2025},',
        '  url       = {https://arxiv.org/abs/2504.13151}',
        '}',
      ].join('\n'),
    },
  ];
}
