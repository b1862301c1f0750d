// The manifest that editors, Storybook's controls and docs read. It comes from the elements' JSDoc
// (@summary @slot @csspart @cssproperty @cssstate @event), so every public surface is described once.
export default {
  globs: ['src/components/**/*.ts'],
  // Styles and translation tables describe no public API; tests and stories are not the library.
  exclude: ['**/*.test.ts', '**/*.stories.ts', '**/*.styles.ts', '**/*.strings.ts'],
  outdir: '.',
  litelement: true,
  // package.json already names the manifest; a check that writes elsewhere must not rewrite it.
  packagejson: false,
};
