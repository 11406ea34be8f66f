/**
 * The module boundaries, checked by dependency-cruiser as the first step of the
 * unit tier (`npm test`; on its own: `node --import tsx scripts/dependency-rules.ts`).
 * Paths are relative to the repository root (the runner's `baseDir`).
 *
 *   common/  contracts every process shares   → imports no process, no db
 *   chem/    RDKit chemistry                  → no db, no process
 *   ingest/  reading uploaded files, preview  → no db, no process (web and workers both use it)
 *   db/      schema and data access           → no process
 *   web/, collab-server/, workers/            → not each other (tests may reach across to
 *                                               stand up a real peer, e.g. a socket.io server)
 * and no import cycles anywhere, type-only imports included.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import svelteConfig from './svelte.config.js';

const root = path.dirname(fileURLToPath(import.meta.url));
const aliases = Object.fromEntries(
  Object.entries({ $lib: 'web/src/lib', ...svelteConfig.kit.alias }).map(([name, folder]) => [name, path.join(root, folder)])
);

/** Production code: everything outside tests, benchmarks, scripts and e2e. */
const TESTS = '(^|/)test/|\\.spec\\.ts$|^e2e/|^bench/|^scripts/';
const PROCESSES = '^(web|collab-server|workers)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles: a module and its imports must be loadable one after the other (a cycle of type-only imports still means two modules that cannot be read apart).',
      from: {},
      to: { circular: true }
    },
    {
      name: 'no-web-to-workers',
      severity: 'error',
      comment: 'The web process must not pull worker code (and its dependencies) in; shared code lives in common/, chem/, ingest/ or db/.',
      from: { path: '^web/' },
      to: { path: '^workers/' }
    },
    {
      name: 'no-process-to-process',
      severity: 'error',
      comment: 'web, collab-server and workers are separate processes: they share code through common/, chem/, ingest/ and db/, and talk over HTTP, Redis and Postgres.',
      from: { path: '^(web|collab-server|workers)/', pathNot: TESTS },
      to: { path: PROCESSES, pathNot: '^$1/' }
    },
    {
      name: 'no-db-to-processes',
      severity: 'error',
      comment: 'The data layer serves every process, so it imports none of them.',
      from: { path: '^db/', pathNot: TESTS },
      to: { path: PROCESSES }
    },
    {
      name: 'common-imports-no-process',
      severity: 'error',
      comment: 'common/ is what every process shares: contracts and small helpers, no process code and no database.',
      from: { path: '^common/', pathNot: TESTS },
      to: { path: '^(web|collab-server|workers|db|chem|ingest|scripts|bench|e2e)/' }
    },
    {
      name: 'chem-imports-no-db-or-process',
      severity: 'error',
      comment: 'chem/ is the chemistry engine: it computes, the callers store.',
      from: { path: '^chem/', pathNot: TESTS },
      to: { path: '^(db|web|collab-server|workers|ingest|scripts|bench|e2e)/' }
    },
    {
      name: 'ingest-imports-no-db-or-process',
      severity: 'error',
      comment: 'ingest/ reads files for both the web process (preview) and the workers (import): no database, no process code.',
      from: { path: '^ingest/', pathNot: TESTS },
      to: { path: '^(db|web|collab-server|workers|chem|scripts|bench|e2e)/' }
    },
    {
      name: 'no-production-to-tests',
      severity: 'error',
      comment: 'Tests, benchmarks, scripts and e2e build on the product, never the other way round.',
      from: { path: '^(web|collab-server|workers|db|common|chem|ingest)/', pathNot: TESTS },
      to: { path: TESTS }
    }
  ],
  options: {
    // Type-only imports count: they are edges a reader follows too, and cycles through them
    // are what issue 11 removes.
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    // The fixture trees of the rules' own test break the rules on purpose.
    exclude: { path: '^scripts/fixtures/|^node_modules/|^build/|^\\.svelte-kit/' },
    // SvelteKit's aliases, from the one place they are declared ($app/…, $env/… are SvelteKit's
    // virtual modules: nothing to follow).
    enhancedResolveOptions: {
      alias: aliases,
      extensions: ['.ts', '.js', '.mjs', '.svelte', '.json'],
      conditionNames: ['import', 'require', 'node', 'default', 'types']
    },
    moduleSystems: ['es6', 'cjs'],
    skipAnalysisNotInRules: true
  }
};
