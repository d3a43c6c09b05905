import type { Servable } from './servable.js';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** An example request body for `servable`, as the page shows it. */
function exampleBody(servable: Servable): string {
  if (servable.kind === 'text-classifier') return '{"instances": ["A wonderful film, I loved it."]}';
  const zeros = (shape: readonly number[]): string =>
    shape.length === 0
      ? '0'
      : `[${Array.from({ length: Math.min(shape[0]!, 3) }, () => zeros(shape.slice(1))).join(', ')}${shape[0]! > 3 ? ', …' : ''}]`;
  return `{"instances": [${zeros(servable.input.shape)}]}`;
}

/** The page at `/` when no served folder is a web export: the served models, their state and how to call them. */
export function statusPage(servables: readonly Servable[], state: string, baseUrl: string): string {
  const rows = servables
    .map(
      (
        s,
      ) => `<tr><td><code>${escapeHtml(s.name)}</code></td><td>${escapeHtml(s.kind)} (${escapeHtml(s.preset)})</td><td>${escapeHtml(state)}</td>
<td><code>${escapeHtml(s.input.dtype === 'DT_STRING' ? 'string' : JSON.stringify(s.input.shape))}</code></td>
<td><code>POST /v1/models/${escapeHtml(s.name)}:predict</code><br><small>${escapeHtml(exampleBody(s))}</small></td>
<td><a href="/v1/models/${encodeURIComponent(s.name)}">status</a> · <a href="/v1/models/${encodeURIComponent(s.name)}/metadata">metadata</a></td>
<td><small>${escapeHtml(s.dir)}</small></td></tr>`,
    )
    .join('\n');
  const first = servables[0]!;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>dl serve</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; width: 100%; } td, th { border-bottom: 1px solid #ddd; padding: .4rem; text-align: left; vertical-align: top; }
code, pre { background: #f4f4f4; border-radius: 3px; padding: 0 .2rem; } pre { padding: .6rem; overflow-x: auto; }
</style></head><body>
<h1>dl serve</h1>
<p>${servables.length} model${servables.length === 1 ? '' : 's'} served with TensorFlow Serving's REST API.</p>
<table><thead><tr><th>model</th><th>kind</th><th>state</th><th>instance</th><th>predict</th><th></th><th>folder</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Example</h2>
<pre>curl -d '${escapeHtml(exampleBody(first))}' ${escapeHtml(baseUrl)}/v1/models/${escapeHtml(first.name)}:predict</pre>
</body></html>
`;
}
