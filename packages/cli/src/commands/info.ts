import { backendInfo } from '@dl/core';

/** `dl info`: which backend runs (native TensorFlow or the pure-JS fallback), whether steps run as graphs, and why not. */
export function info(options: { json?: boolean }): void {
  const report = { ...backendInfo(), node: process.version, platform: `${process.platform}-${process.arch}` };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const native = report.backend === 'tensorflow';
  const broken = report.reason ?? report.graphExecutionReason;
  process.stdout.write(
    `${[
      `backend:    ${report.backend}${native ? ` (TensorFlow ${report.tensorflowVersion} native kernels)` : ' (pure JS, ~700x slower)'}`,
      `graphs:     ${report.graphExecution ? 'yes (training and prediction steps run as TensorFlow graph functions)' : `no (${report.graphExecutionReason})`}`,
      `tfjs:       ${report.tfjsVersion}`,
      `node:       ${report.node} (${report.platform})`,
      ...(report.reason ? [`reason:     ${report.reason}`] : []),
      ...(broken ? ['fix:        npx dl setup'] : []),
    ].join('\n')}\n`,
  );
}
