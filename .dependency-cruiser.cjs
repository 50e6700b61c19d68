// Import rules of src/, checked by `npm run lint:deps` (part of `npm test`): no cycles, and imports
// point down the pipeline, never up or sideways. A folder may import only itself and the folders
// listed for it; files at the top of src/ (main.ts, tracker.ts) wire everything and may import all.
//
//   config -> protocol -> frontends -> dispatch -> swarm   is the path of a request; the code layers
//   are the other way round: what a request reaches later knows nothing of what came before it.
const MAY_IMPORT = {
  util: [],
  core: ['util'],
  config: ['util'],
  cli: ['util'],
  protocol: ['core', 'config', 'util'],
  swarm: ['core', 'config', 'util'],
  auth: ['core', 'config', 'util'],
  stats: ['swarm', 'protocol', 'core', 'util'],
  dispatch: ['swarm', 'protocol', 'core', 'config', 'util'],
  frontends: ['dispatch', 'protocol', 'auth', 'stats', 'core', 'config', 'util'],
  cluster: ['dispatch', 'swarm', 'core', 'config', 'stats', 'util'],
  api: ['dispatch', 'swarm', 'auth', 'stats', 'protocol', 'cluster', 'core', 'config', 'util'],
  io: ['frontends', 'dispatch', 'auth', 'stats', 'swarm', 'protocol', 'core', 'config', 'util'],
};
const FOLDERS = Object.keys(MAY_IMPORT);

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules cannot be understood (or tested) apart.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...FOLDERS.map((folder) => ({
      name: `${folder}-imports-down-only`,
      severity: 'error',
      comment: `src/${folder}/ may import only ${MAY_IMPORT[folder].length === 0 ? 'itself' : MAY_IMPORT[folder].join(', ')}`,
      from: { path: `^src/${folder}/` },
      to: { path: `^src/(?!(${[folder, ...MAY_IMPORT[folder]].join('|')})/)` },
    })),
    {
      name: 'no-unknown-folder',
      severity: 'error',
      comment: 'Every folder of src/ has a place in MAY_IMPORT above.',
      from: { path: `^src/(?!(${FOLDERS.join('|')})/)[^/]+/` },
      to: { path: '^src/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|build)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
