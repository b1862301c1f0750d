/**
 * SECURITY.md 25: a legacy page wraps everything in one `<form>` and WebForms adds a default-button
 * script on Enter; Enter in one of our text fields must do neither.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

type Host = ReactiveControllerHost & HTMLElement;

/** Keeps Enter in our text fields from submitting a host page's outer form (or its default-button script). */
export class ImplicitSubmitGuard implements ReactiveController {
  constructor(private readonly host: Host) {
    host.addController(this);
  }

  private readonly onKey = (event: Event): void => {
    if ((event as KeyboardEvent).key !== 'Enter') return;
    const target = event.composedPath()[0];
    if (target instanceof HTMLInputElement && !['button', 'submit', 'reset', 'checkbox', 'radio'].includes(target.type)) {
      event.preventDefault();
      event.stopPropagation();
    }
  };

  hostConnected(): void {
    this.host.addEventListener('keydown', this.onKey);
    this.host.addEventListener('keypress', this.onKey);
  }

  hostDisconnected(): void {
    this.host.removeEventListener('keydown', this.onKey);
    this.host.removeEventListener('keypress', this.onKey);
  }
}

