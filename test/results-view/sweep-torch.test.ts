// The template's own sweep, trained for real and then drawn: mnist_sweep.sub with two rows of
// sweep.csv and two epochs, in the template's image (BUILD_IMAGE = the busybox stand-in pixi
// base, FINAL_IMAGE = Debian's CPU PyTorch, $PIXI_CONDOR_TEST_TORCH_IMAGE, as
// local/local-torch.test.ts builds it), on a small synthetic MNIST; then `results --plot` and
// `results --html` must draw both runs from the progress lines job/main.py printed, and the
// report must open in headless Chromium with both runs drawn and 0 GPU-hours (a CPU run).
// What did not run: conda-forge's CUDA build and a GPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumPath, visitPage } from '../helpers/chromium.ts';
import { repoRoot } from '../helpers/paths.ts';
import { runCommand, runScript } from '../helpers/process.ts';
import { buildTorchBuildBase, makeSyntheticMnist } from '../helpers/torch-job.ts';
import { dockerSkipReason } from '../image/services.ts';
import { makeWorkspace, type TestWorkspace, uniqueName } from '../image/workspace.ts';

const torchImage = process.env.PIXI_CONDOR_TEST_TORCH_IMAGE;
const skip =
  (await dockerSkipReason()) ??
  (torchImage ? null : 'PIXI_CONDOR_TEST_TORCH_IMAGE is not set (.ci/services.sh builds the Debian PyTorch image)');
if (skip) console.log(`results-view/sweep-torch.test.ts: skipping the real sweep: ${skip}`);
const noChromium = chromiumPath() ? null : 'no chromium (apt-get install chromium; .ci/services.sh installs it)';
if (!skip && noChromium) console.log(`results-view/sweep-torch.test.ts: skipping the browser check: ${noChromium}`);
const torchTest = skip ? test.skip : test;

// As local-torch.test.ts: a build base whose stand-in pixi puts no fake `python` first on PATH.
const buildBase = `localhost/pixi-condor-sweep-torch-base:${uniqueName('b').toLowerCase()}`;
const repository = `${process.env.PIXI_CONDOR_TEST_REGISTRY}/${uniqueName('sweep-torch')}`;
let ws: TestWorkspace;
let dockerConfig: string;
let env: Record<string, string>;

test.before(async () => {
  if (skip) return;
  const built = await buildTorchBuildBase(buildBase);
  assert.is(built.code, 0, built.stderr);
  ws = makeWorkspace(repository);
  cpSync(join(repoRoot, 'mnist_sweep.sub'), join(ws.root, 'mnist_sweep.sub'));
  // Two of the template's rows (lr, seed).
  writeFileSync(join(ws.root, 'sweep.csv'), '0.5,1\n2.0,1\n');
  writeFileSync(
    join(ws.root, 'pixi.toml'),
    `${ws.read('pixi.toml').trimEnd()}\nbuild-args = { BUILD_IMAGE = "${buildBase}", FINAL_IMAGE = "${torchImage}" }\n`,
  );
  dockerConfig = mkdtempSync(join(tmpdir(), 'pixi-condor-sweep-torch-docker-'));
  env = { PIXI_PROJECT_ROOT: ws.root, DOCKER_CONFIG: dockerConfig };
});

test.after(async () => {
  if (skip) return;
  ws?.remove();
  rmSync(dockerConfig, { recursive: true, force: true });
  // The image build-image tagged here (two tags, ~1.3 GB each run): the registry is CI's scratch
  // space, the engine's image store is not.
  const built = await runCommand('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', repository], {
    timeoutMs: 60_000,
  });
  const tags = built.stdout.split('\n').filter(Boolean);
  if (tags.length > 0) await runCommand('docker', ['image', 'rm', '--force', ...tags], { timeoutMs: 60_000 });
  await runCommand('docker', ['rmi', buildBase], { timeoutMs: 60_000 });
});

torchTest('the template sweep trains two rows on CPU PyTorch; --plot and --html draw both runs', async () => {
  const build = await ws.buildImage([], { env: { DOCKER_CONFIG: dockerConfig }, timeoutMs: 300_000 });
  assert.is(build.code, 0, build.stdout + build.stderr);

  // A small synthetic MNIST with jittered squares (make_synthetic_mnist.py's JITTER), packed as
  // prepare-data packs it: the loss still falls in the second epoch.
  const made = await makeSyntheticMnist(ws.root, torchImage!, ['256', '64', '3']);
  assert.is(made.code, 0, made.stderr);
  const packed = await runCommand('tar', ['-czf', 'MNIST_data.tar.gz', 'data/MNIST/raw'], { cwd: ws.root });
  assert.is(packed.code, 0, packed.stderr);
  rmSync(join(ws.root, 'data'), { recursive: true, force: true });

  // Run where the user runs it (the workspace), so the submit file named is the workspace's.
  const submit = await runScript(
    'submit.ts',
    ['mnist_sweep.sub', '--local', '--allow-cpu', '--append', 'epochs = 2', '--interval', '100'],
    { cwd: ws.root, env, timeoutMs: 400_000 },
  );
  const cluster = /running job (\d+) here/.exec(submit.stdout)?.[1];
  const outs = [0, 1].map((p) => {
    try {
      return readFileSync(join(ws.root, `mnist_sweep_${cluster}_${p}.out.txt`), 'utf8');
    } catch {
      return '';
    }
  });
  assert.is(submit.code, 0, `${submit.stdout}${submit.stderr}\n--- proc 0\n${outs[0]}\n--- proc 1\n${outs[1]}`);
  for (const out of outs) assert.match(out, /PIXI_CONDOR_PROGRESS \{"epoch": ?2/);

  const plot = await runScript('results.ts', [cluster!, '--plot'], { cwd: ws.root, env, timeoutMs: 30_000 });
  assert.is(plot.code, 0, plot.stdout + plot.stderr);
  assert.match(plot.stdout, /loss per epoch: 2 of 2 runs/);
  assert.match(plot.stdout, /accuracy per epoch: 2 of 2 runs/);
  // Each run in the legend with its epoch-2 loss, and drawn: the best as `*`, the other as `a`.
  assert.match(plot.stdout, / {2}\* {2}best: lr=(0\.5|2\.0) seed=1 \(proc [01]\): loss [\d.e-]+ at epoch 2/);
  assert.match(plot.stdout, / {2}a {2}lr=(0\.5|2\.0) seed=1 \(proc [01]\): loss [\d.e-]+ at epoch 2/);
  const lossChart = plot.stdout.split('\n\n')[0]!.split('\n');
  const plotArea = lossChart.filter((l) => /^\s*[\d.e-]*\s\|/.test(l)).map((l) => l.split('|')[1]!);
  for (const mark of ['*', 'a'])
    assert.ok(
      plotArea.some((l) => l.includes(mark)),
      `${mark}:\n${lossChart.join('\n')}`,
    );

  const html = await runScript('results.ts', [cluster!, '--html'], { cwd: ws.root, env, timeoutMs: 30_000 });
  assert.is(html.code, 0, html.stdout + html.stderr);
  assert.match(html.stdout, /report: results\/\d+\/report\.html \(2 of 2 runs with curves\)/);
  if (noChromium) return;
  const visit = await visitPage<{ charts: [string, number][]; gpuHours: string[]; title: string }>(
    join(ws.root, 'results', cluster!, 'report.html'),
    {
      readyExpression: "document.body.dataset.ready === 'true'",
      expression: `(() => {
        const heads = [...document.querySelectorAll('table.runs th')].map((th) => th.textContent.trim());
        const col = heads.indexOf('GPU-hours');
        return {
          charts: [...document.querySelectorAll('canvas')].map((c) => [c.dataset.field, Number(c.dataset.runsDrawn)]),
          gpuHours: [...document.querySelectorAll('table.runs tbody tr')].map((tr) => tr.children[col].textContent),
          title: document.querySelector('.sub').textContent,
        };
      })()`,
      timeoutMs: 60_000,
    },
  );
  assert.equal(visit.errors, []);
  const drawn = Object.fromEntries(visit.value.charts);
  assert.is(drawn.loss, 2);
  assert.is(drawn.accuracy, 2);
  assert.equal(visit.value.gpuHours, ['0', '0'], 'no GPU was allocated: 0 GPU-hours, not blank');
  assert.match(visit.value.title, /^mnist_sweep\.sub, submitted /);
});

test.run();
