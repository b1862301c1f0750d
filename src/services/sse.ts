/**
 * A minimal reader of the `text/event-stream` format (the WHATWG "server-sent events" parsing rules),
 * for the log's live feed where `EventSource` cannot be used: it cannot send an `Authorization` header,
 * and Node has none. No DOM, no Node.
 */

export interface ServerEvent {
  event: string;
  data: string;
}

/** Feeds text chunks in; calls `onEvent` per complete event and `onRetry` for a `retry:` field. */
export function createEventParser(onEvent: (event: ServerEvent) => void, onRetry?: (ms: number) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let first = true;
  const line = (text: string) => {
    if (text === '') {
      if (data.length) onEvent({ event: event || 'message', data: data.join('\n') });
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry?.(Number(value));
  };
  return (chunk: string) => {
    if (first) {
      first = false;
      if (chunk.startsWith('\uFEFF')) chunk = chunk.slice(1);
    }
    buffer += chunk;
    // A CR at the end may be the first half of CRLF: keep it until the next chunk says.
    const lines = buffer.split(/\r\n|\r(?!$)|\n/);
    buffer = lines.pop() ?? '';
    for (const text of lines) line(text);
  };
}
