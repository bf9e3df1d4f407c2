// Light and dark themes: the choice is stored in localStorage ("strix-theme"); without one
// the system's prefers-color-scheme decides. CSS reads data-theme on <html>; canvases
// (charts, sparklines) read colors() when they draw and redraw on a theme change.

export type Theme = 'light' | 'dark';

const KEY = 'strix-theme';

interface Colors {
  bg: string;
  text: string;
  axis: string;
  grid: string;
}

const COLORS: Record<Theme, Colors> = {
  light: { bg: '#ffffff', text: '#1f2937', axis: '#4b5563', grid: '#e5e7eb' },
  dark: { bg: '#161b22', text: '#e6edf3', axis: '#9da7b3', grid: '#2a313c' },
};

// Distinct hues that keep >= 3:1 contrast against each theme's background.
const PALETTE: Record<Theme, string[]> = {
  light: ['#2563eb', '#dc2626', '#15803d', '#7c3aed', '#c2410c', '#0e7490', '#be185d', '#4d7c0f', '#a16207', '#4338ca', '#0f766e', '#9f1239'],
  dark: ['#60a5fa', '#f87171', '#4ade80', '#a78bfa', '#fb923c', '#22d3ee', '#f472b6', '#a3e635', '#facc15', '#818cf8', '#2dd4bf', '#fda4af'],
};

const listeners = new Set<() => void>();

function stored(): Theme | null {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

export function currentTheme(): Theme {
  const t = document.documentElement.dataset.theme;
  return t === 'dark' ? 'dark' : 'light';
}

function systemTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function initTheme(): void {
  document.documentElement.dataset.theme = stored() ?? systemTheme();
  window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener('change', () => {
    if (!stored()) applyTheme(systemTheme(), false);
  });
}

export function applyTheme(t: Theme, remember = true): void {
  if (remember) {
    try {
      localStorage.setItem(KEY, t);
    } catch {
      // private mode: the choice lasts for this page only
    }
  }
  document.documentElement.dataset.theme = t;
  for (const cb of listeners) cb();
}

export function toggleTheme(): void {
  applyTheme(currentTheme() === 'dark' ? 'light' : 'dark');
}

export function onThemeChange(cb: () => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

export function colors(): Colors {
  return COLORS[currentTheme()];
}

export function seriesColor(i: number, alpha = 1): string {
  const p = PALETTE[currentTheme()];
  const hex = p[i % p.length];
  if (alpha >= 1) return hex;
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}
