// Storybook for the elements, offline: no telemetry, no "what's new" fetch, no version check
// (`storybook dev --ci --no-version-updates` in package.json). Controls, actions and viewports are
// part of Storybook's core; addon-docs makes the autodocs pages from custom-elements.json.
import type { StorybookConfig } from '@storybook/web-components-vite';

const config: StorybookConfig = {
  framework: { name: '@storybook/web-components-vite', options: {} },
  stories: ['../stories/**/*.stories.ts'],
  addons: ['@storybook/addon-docs'],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  // vite.config.ts applies too, minus its `build` block (the library build), which Storybook drops.
  // Storybook's own manager-side preview chunk is large by nature; the warning about it is noise.
  viteFinal: (config) => ({ ...config, build: { ...config.build, chunkSizeWarningLimit: 2048 } }),
};

export default config;
