import type { Command } from 'commander';
import os from 'node:os';
import { initBackend, probeBackends } from '../engine/backend.ts';
import { describeAdapter } from '../engine/webgpu.ts';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('print the chosen backend, versions, threads and what is missing and why')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      // the chosen (or named) backend first: a named one that cannot start fails in one line
      const info = await initBackend();
      const probes = await probeBackends();
      const report = {
        backend: info.name,
        backend_package_version: info.packageVersion,
        tfjs_core_version: info.tfjsVersion,
        wasm_simd: info.simd,
        backend_threads: info.threads,
        gpu_adapter: info.adapter ?? null,
        node: process.version,
        cpus: os.cpus().length,
        override: process.env.FAITHBENCH_BACKEND ?? null,
        backends: probes,
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      process.stdout.write(`backend: ${report.backend} (${report.backend_package_version}), tfjs-core ${report.tfjs_core_version}\n`);
      if (info.adapter) process.stdout.write(`gpu adapter: ${describeAdapter(info.adapter)}\n`);
      process.stdout.write(`node ${report.node}, ${report.cpus} cpus, backend threads ${report.backend_threads}` +
        (info.simd !== undefined ? `, wasm simd ${info.simd}` : '') + '\n');
      for (const p of probes) {
        process.stdout.write(`  ${p.available ? 'ok     ' : 'missing'} ${p.name.padEnd(15)} ${p.package}${p.version ? ' ' + p.version : ''}${p.adapter && p.available ? ' — ' + describeAdapter(p.adapter) : ''}${p.reason ? ' — ' + p.reason : ''}\n`);
      }
    });
}
