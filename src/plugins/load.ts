// Loading a user plugin (a method or a task file) from any folder. The file is bundled with
// esbuild — its own relative imports (helper files beside it) included — into ONE ESM file
// under <repo>/.cache/plugins/, named by the sha256 of its path and bundled source. The bundle
// keeps `faithbench` external, so `import … from 'faithbench'` resolves through this package's
// `exports` self-reference to src/index.ts: the same module instances (registries, zod, tfjs)
// as the harness, wherever the plugin lives. `zod` and `@tensorflow/tfjs-core` stay external
// too and so resolve to the harness's own copies (older plugins import them directly); node
// built-ins are allowed; any other bare import is refused with one line. The bundle is a pure
// function of the plugin's files, so a worker thread that loads the same path gets the same
// bundle and the same definitions.
import { build, type Message, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError, oneLine } from '../util/errors.ts';
import { writeFileAtomic } from '../util/fs.ts';

export type PluginKind = 'method' | 'task';

const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const SRC_DIR = resolve(REPO_ROOT, 'src');
/** Where bundles are written: inside the package, so that `import 'faithbench'` self-resolves. */
export const PLUGIN_CACHE_DIR = resolve(REPO_ROOT, '.cache', 'plugins');
const EXTENSIONS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx'];
/** Bare imports a plugin may keep: they resolve, from the bundle, to the harness's own copies. */
const SHARED_PACKAGES = ['zod', '@tensorflow/tfjs-core'];

export interface PluginSource {
  /** Absolute path of the plugin file. */
  file: string;
  /** sha256 (hex) of the bundled source alone (the file and the helpers it imports), not of its path. */
  sourceHash: string;
}

const SOURCES = new WeakMap<object, PluginSource>();

/**
 * Where a method or task loaded from a file came from (undefined for built-ins): a cache key
 * that changes when the plugin's code does, and is the same on every machine.
 */
export function pluginSource(loaded: object): PluginSource | undefined {
  return SOURCES.get(loaded);
}

/** Record the source of an object made from a plugin's export (loadTask defines plain task definitions). */
export function notePluginSource(loaded: object, source: PluginSource): void {
  SOURCES.set(loaded, source);
}

export interface LoadedPlugin {
  /** `default`, else the named export `method` / `task` (undefined when neither exists). */
  value: unknown;
  /** Absolute path of the plugin file. */
  file: string;
  /** sha256 (hex) of the path and the bundled source: changes whenever the file or a helper it imports does. */
  hash: string;
  /** sha256 (hex) of the bundled source alone. */
  sourceHash: string;
  /** The bundle that was imported. */
  bundle: string;
}

/** Does a ref name a file (rather than a built-in id)? Ids are lowercase words and dashes. */
export function looksLikePath(ref: string): boolean {
  return /[./\\]/.test(ref);
}

/** The subpaths ('.', './x') this package exports, from its package.json. */
function exportedSubpaths(): Set<string> {
  try {
    const pkg = JSON.parse(readFileSync(resolve(REPO_ROOT, 'package.json'), 'utf8')) as { exports?: unknown };
    if (typeof pkg.exports === 'string') return new Set(['.']);
    if (pkg.exports && typeof pkg.exports === 'object') return new Set(Object.keys(pkg.exports));
  } catch {
    // fall through
  }
  return new Set(['.']);
}

const packageName = (spec: string): string => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);

function bareImportMessage(label: string, spec: string, importer: string, entry: string): string {
  const where = importer && resolve(importer) !== entry ? ` (in ${displayPath(importer)})` : '';
  return `${label} imports "${spec}"${where}: plugins import only from "faithbench" (which re-exports z, tf and a seeded RNG)`;
}

function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/** One esbuild message as "line L:C: text" (in the plugin file) or "path:L:C: text" (in a helper). */
function formatMessage(m: Message, cwd: string, entry: string): string {
  let loc = '';
  if (m.location) {
    const file = resolve(cwd, m.location.file);
    loc = `${file === entry ? 'line ' : `${displayPath(file)}:`}${m.location.line}:${m.location.column + 1}: `;
  }
  return `${loc}${m.text.split('\n')[0]}`;
}

/**
 * The import policy, as an esbuild plugin: `faithbench` (and exported subpaths), zod, tfjs-core
 * and node built-ins stay external; a relative import that lands in this package's src/ is
 * kept external by file URL (so it is the harness's instance, never a bundled copy); any
 * other bare import records a violation.
 */
function importPolicy(label: string, entry: string, violations: string[]): Plugin {
  const exported = exportedSubpaths();
  return {
    name: 'faithbench-plugin-imports',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const spec = args.path;
        if (spec.startsWith('.') || isAbsolute(spec)) {
          const abs = resolve(args.resolveDir, spec);
          if (abs === SRC_DIR || abs.startsWith(SRC_DIR + sep)) return { path: pathToFileURL(abs).href, external: true };
          return undefined; // bundled
        }
        if (spec.startsWith('node:') || isBuiltin(spec)) return { path: spec, external: true };
        const name = packageName(spec);
        if (name === 'faithbench') {
          const sub = spec === 'faithbench' ? '.' : `./${spec.slice('faithbench/'.length)}`;
          if (exported.has(sub)) return { path: spec, external: true };
        } else if (SHARED_PACKAGES.includes(name)) {
          return { path: spec, external: true };
        }
        violations.push(bareImportMessage(label, spec, args.importer, entry));
        return { errors: [{ text: violations[violations.length - 1] }] };
      });
    },
  };
}

async function bundle(label: string, file: string): Promise<string> {
  const violations: string[] = [];
  const cwd = dirname(file);
  const fileUrl = pathToFileURL(file).href;
  let result;
  try {
    result = await build({
      entryPoints: [file],
      absWorkingDir: cwd,
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      logLevel: 'silent',
      // the bundle lives elsewhere: keep import.meta pointing at the plugin file
      define: {
        'import.meta.url': JSON.stringify(fileUrl),
        'import.meta.filename': JSON.stringify(file),
        'import.meta.dirname': JSON.stringify(cwd),
      },
      plugins: [importPolicy(label, file, violations)],
    });
  } catch (err) {
    if (violations.length) throw new UserError(violations[0]);
    const errors = (err as { errors?: Message[] }).errors;
    if (errors?.length) {
      const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
      throw new UserError(`${label} failed to load: ${formatMessage(errors[0], cwd, file)}${more}`);
    }
    throw new UserError(`${label} failed to load: ${oneLine(err)}`);
  }
  const out = result.outputFiles?.[0];
  if (!out) throw new UserError(`${label} failed to load: the bundler produced no output`);
  return out.text;
}

/**
 * Load a plugin file: bundle it (see the file comment), import the bundle and return its
 * default export, else its named export `method` / `task`. Every failure is one UserError line
 * naming the file: not found, not a script, a syntax or resolution error, a refused import,
 * or an exception while it runs.
 */
export async function loadPlugin(ref: string, kind: PluginKind): Promise<LoadedPlugin> {
  const label = `${kind} file ${ref}`;
  const file = resolve(ref);
  if (!existsSync(file)) throw new UserError(`${label} not found`);
  if (!statSync(file).isFile()) throw new UserError(`${label} is not a file`);
  if (!EXTENSIONS.includes(extname(file).toLowerCase())) {
    throw new UserError(`${label}: expected a TypeScript or JavaScript file (${EXTENSIONS.join(', ')})`);
  }
  const code = await bundle(label, file);
  const hash = createHash('sha256').update(file).update('\0').update(code).digest('hex');
  const out = resolve(PLUGIN_CACHE_DIR, `${hash}.mjs`);
  // content-addressed: an existing file is this very bundle (written atomically, so never partial)
  if (!existsSync(out)) {
    try {
      writeFileAtomic(out, `// bundled from ${file}\n${code}`);
    } catch (err) {
      throw new UserError(`${label}: cannot write its bundle to ${PLUGIN_CACHE_DIR}: ${oneLine(err)}`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(out).href)) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`${label} failed to load: ${oneLine(err)}`);
  }
  const value = mod.default ?? mod[kind];
  const sourceHash = createHash('sha256').update(code).digest('hex');
  if (typeof value === 'object' && value !== null) notePluginSource(value, { file, sourceHash });
  return { value, file, hash, sourceHash, bundle: out };
}
