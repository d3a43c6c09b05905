/**
 * How `dl explain` shows a text's attributions: per word, a score toward the positive class. In a terminal the words
 * get a background colour (green for, red against; the strength by the score's share of the largest); elsewhere plain
 * markers, `[+word]` and `[-word]`, on the words carrying at least a fifth of the largest magnitude; and an HTML page.
 */
export interface TokenScore {
  token: string;
  score: number;
}

const STRONG = 0.2;

/** ANSI 256-colour backgrounds, faint to strong, for (green) and against (red). */
const GREENS = [194, 157, 120, 83, 46];
const REDS = [224, 217, 210, 203, 196];

export function ansiTokens(tokens: readonly TokenScore[]): string {
  const peak = tokens.reduce((m, t) => Math.max(m, Math.abs(t.score)), 0) || 1;
  return tokens
    .map(({ token, score }) => {
      const share = Math.abs(score) / peak;
      if (share < 0.05) return token;
      const level = Math.min(4, Math.floor(share * 5));
      return `\x1b[48;5;${(score > 0 ? GREENS : REDS)[level]}m\x1b[30m${token}\x1b[0m`;
    })
    .join(' ');
}

export function markedTokens(tokens: readonly TokenScore[]): string {
  const peak = tokens.reduce((m, t) => Math.max(m, Math.abs(t.score)), 0) || 1;
  return tokens.map(({ token, score }) => (Math.abs(score) / peak >= STRONG ? `[${score > 0 ? '+' : '-'}${token}]` : token)).join(' ');
}

export function htmlPage(tokens: readonly TokenScore[], title: string, summary: string): string {
  const peak = tokens.reduce((m, t) => Math.max(m, Math.abs(t.score)), 0) || 1;
  const spans = tokens
    .map(({ token, score }) => {
      const a = (Math.abs(score) / peak).toFixed(3);
      const colour = score > 0 ? `rgba(22, 163, 74, ${a})` : `rgba(220, 38, 38, ${a})`;
      return `<span style="background:${colour}" title="${score.toExponential(3)}">${escapeHtml(token)}</span>`;
    })
    .join(' ');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.9 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}span{padding:1px 2px;border-radius:3px}
.legend span{display:inline-block;margin-right:1em}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(summary)}</p>
<p class="legend"><span style="background:rgba(22,163,74,.8)">for positive</span><span style="background:rgba(220,38,38,.8)">for negative</span></p>
<p>${spans}</p></body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
