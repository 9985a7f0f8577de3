// One `validate` run on the workspace given as argument, with each phase timed (ms), printed as
// JSON: what bench/validate reports as "where the time goes". The phases are validateWorkspace's
// (scripts/lib/validate/index.ts) in its order; module loading is its own phase.
const started = performance.now();
const { readFileSync } = await import('node:fs');
const { join } = await import('node:path');
const { parseManifestText, buildReport } = await import('../../scripts/lib/validate/index.ts');
const { checkManifestSchema, manifestValidator } = await import('../../scripts/lib/validate/manifest-schema.ts');
const { ManifestModel } = await import('../../scripts/lib/validate/manifest-model.ts');
const { checkManifestSemantics } = await import('../../scripts/lib/validate/manifest-semantics.ts');
const { checkTemplate } = await import('../../scripts/lib/validate/template-checks.ts');
const { checkLock } = await import('../../scripts/lib/validate/lock-check.ts');
const { checkEnvFile } = await import('../../scripts/lib/validate/env-file.ts');
const { reportHuman } = await import('../../scripts/lib/validate/report.ts');
const { IssueList } = await import('../../scripts/lib/validate/types.ts');
const { palette } = await import('../../scripts/lib/term.ts');
await manifestValidator();

const root = process.argv[2]!;
const times: Record<string, number> = { load: performance.now() - started };
let last = performance.now();
const lap = (name: string) => {
  const now = performance.now();
  times[name] = now - last;
  last = now;
};

const text = readFileSync(join(root, 'pixi.toml'), 'utf8');
const issues = new IssueList();
const data = parseManifestText(text, 'pixi.toml', issues);
lap('toml');
if (!data) throw new Error(`${root}/pixi.toml does not parse`);
await checkManifestSchema(data, 'pixi.toml', issues);
lap('schema');
const model = new ManifestModel(data);
checkManifestSemantics(model, 'pixi.toml', issues);
lap('rules');
await checkTemplate({ root, model, manifestFile: 'pixi.toml', issues });
lap('template');
await checkLock({ root, model, manifestFile: 'pixi.toml', issues });
await checkEnvFile(root, issues);
lap('lock+env');
const report = await buildReport(issues, new Map([['pixi.toml', text]]));
reportHuman(report, { root, paint: palette(false), sources: new Map([['pixi.toml', text]]) });
lap('report');
console.log(JSON.stringify(times));
