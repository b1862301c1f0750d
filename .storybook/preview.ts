// Controls and the args table come from the committed manifest, which the elements' JSDoc generates
// (`npm run analyze`). Every story runs on its own MemoryAdapter, provided through the adapter context
// by the decorator; the toolbar switches the language (English, German) and the direction.
import { setCustomElementsManifest, type Preview } from '@storybook/web-components-vite';
import { configure } from 'storybook/test';
import manifest from '../custom-elements.json';
import '../src/define.js';
import '../src/locales/de/index.js';
import { cssPropertyControls, publicApiOnly } from './public-api.js';
import { backendLoader, installSignInStandIn, resetBetweenStories, withBackend } from '../stories/decorators.js';

setCustomElementsManifest(manifest);
installSignInStandIn();

// Play functions query inside shadow roots; testing-library's default error prints the container with
// prettyDOM, which rejects a ShadowRoot and hides the real message behind its own.
configure({
  getElementError: (message) => {
    const error = new Error(message ?? 'Element not found.');
    error.name = 'TestingLibraryElementError';
    return error;
  },
});

const preview: Preview = {
  parameters: {
    controls: { expanded: true },
  },
  argTypesEnhancers: [publicApiOnly, cssPropertyControls],
  loaders: [backendLoader],
  beforeEach: resetBetweenStories,
  decorators: [withBackend],
  globalTypes: {
    locale: {
      description: 'Language of the elements',
      toolbar: {
        title: 'Language',
        icon: 'globe',
        items: [
          { value: 'en', title: 'English' },
          { value: 'de', title: 'Deutsch' },
        ],
        dynamicTitle: true,
      },
    },
    direction: {
      description: 'Text direction',
      toolbar: {
        title: 'Direction',
        icon: 'transfer',
        items: [
          { value: 'ltr', title: 'Left to right' },
          { value: 'rtl', title: 'Right to left' },
        ],
        dynamicTitle: true,
      },
    },
  },
  initialGlobals: { locale: 'en', direction: 'ltr' },
};

export default preview;
