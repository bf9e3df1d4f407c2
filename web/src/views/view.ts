// What the router needs of a view: its element, a title, an in-place update for a new
// route of the same view (same host), and cleanup.
import type { Route } from '../router';

export interface View {
  el: HTMLElement;
  title: string;
  // Takes a new route of the same view without rebuilding; false: rebuild instead.
  update?(r: Route): boolean;
  destroy(): void;
}
