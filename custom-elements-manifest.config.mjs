// The manifest that editors, Storybook's controls and docs read. It comes from the elements' JSDoc
// (@summary @slot @csspart @cssproperty @cssstate @event), so every public surface is described once.

/**
 * Modules in a stable order, and only documented events.
 *
 * The analyzer also guesses events from `dispatchEvent(new CustomEvent(name, …))` in a shared `emit`
 * helper and records one called `name`. The JSDoc `@event` tags already list every real event, so an
 * event the JSDoc does not document is dropped.
 */
function stableAndDocumented() {
  return {
    name: 'graph-mail:stable-and-documented',
    packageLinkPhase({ customElementsManifest }) {
      // The analyzer lists modules in the order its file glob happens to return them, which varies from
      // run to run; sorted, the manifest is the same every time and its freshness check is stable.
      customElementsManifest.modules.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      for (const module of customElementsManifest.modules) {
        for (const declaration of module.declarations ?? []) {
          if (!declaration.customElement || !declaration.events) continue;
          declaration.events = declaration.events.filter((event) => event.description || /^(gm-|change$|input$)/.test(event.name));
        }
      }
    },
  };
}

export default {
  globs: ['src/components/**/*.ts'],
  // Styles and translation tables describe no public API; tests and stories are not the library.
  exclude: ['**/*.test.ts', '**/*.stories.ts', '**/*.styles.ts', '**/*.strings.ts'],
  outdir: '.',
  litelement: true,
  // package.json already names the manifest; a check that writes elsewhere must not rewrite it.
  packagejson: false,
  plugins: [stableAndDocumented()],
};
