/**
 * The only way the pages build DOM: elements by createElement and text by text nodes, so data
 * (message content, user and group names, server messages) can never become markup.
 */
export type Child = Node | string | number | null | undefined | false;

export interface ElementOptions {
  className?: string;
  testId?: string;
  text?: string;
  title?: string;
  type?: string;
  hidden?: boolean;
  ariaLabel?: string;
  role?: string;
  dataset?: Record<string, string>;
  onClick?: () => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  options: ElementOptions = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (options.className) element.className = options.className;
  if (options.testId) element.dataset.testid = options.testId;
  if (options.title) element.title = options.title;
  if (options.hidden) element.hidden = true;
  if (options.ariaLabel) element.setAttribute('aria-label', options.ariaLabel);
  if (options.role) element.setAttribute('role', options.role);
  if (options.type && 'type' in element) (element as HTMLButtonElement).type = options.type as HTMLButtonElement['type'];
  for (const [name, value] of Object.entries(options.dataset ?? {})) element.dataset[name] = value;
  if (options.text !== undefined) element.textContent = options.text;
  if (options.onClick) element.addEventListener('click', options.onClick);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
  return element;
}

/** The element with this id in the page's static skeleton; a missing one is a build mistake. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}

/** Shows a line of text, or hides the element when there is none. */
export function setMessage(element: HTMLElement, text: string | undefined, kind: 'info' | 'error' = 'info'): void {
  element.textContent = text ?? '';
  element.dataset.kind = kind;
  element.hidden = !text;
}

export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const sameDay = date.toDateString() === new Date().toDateString();
  return sameDay
    ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : date.toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
