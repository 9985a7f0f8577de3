// `node --import ./bench/lib/module-trace.mjs …`: at exit, writes every module the process
// loaded (file: URLs, node: builtins it imported, and Node's internal undici when fetch ran)
// as JSON to $BENCH_MODULE_TRACE. The benchmarks use it to show that a task's fast path loads
// none of the heavy modules it does not need.
import { writeFileSync } from 'node:fs';
import module from 'node:module';

const loaded = new Set();
module.registerHooks?.({
  load(url, context, next) {
    loaded.add(url);
    return next(url, context);
  },
});
process.on('exit', () => {
  const internal = (process.moduleLoadList ?? []).filter((name) => /undici/.test(name));
  writeFileSync(process.env.BENCH_MODULE_TRACE, JSON.stringify([...loaded, ...internal]));
});
