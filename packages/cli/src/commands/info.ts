import { backendInfo } from '@dl/core';

/** `dl info`: which backend runs (native TensorFlow or the pure-JS fallback) and why. */
export function info(options: { json?: boolean }): void {
  const report = { ...backendInfo(), node: process.version, platform: `${process.platform}-${process.arch}` };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const native = report.backend === 'tensorflow';
  process.stdout.write(
    [
      `backend:    ${report.backend}${native ? ` (TensorFlow ${report.tensorflowVersion} native kernels)` : ' (pure JS, ~700x slower)'}`,
      `tfjs:       ${report.tfjsVersion}`,
      `node:       ${report.node} (${report.platform})`,
      ...(report.reason ? [`reason:     ${report.reason}`, 'fix:        pnpm run setup-native'] : []),
    ].join('\n') + '\n',
  );
}
