// Small pixi workspaces that are not the template, for the extension's tests: a pixi.toml with
// one task (or two), CUDA declared, and a pixi.lock that matches it (one package, cuda-version,
// its record copied from the CHTC seed's real lock, test/fixtures/workspace/chtc-containers-pixi.lock);
// and the same as a pyproject.toml with [tool.pixi].
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const LOCK = `version: 6
environments:
  default:
    channels:
    - url: https://conda.anaconda.org/conda-forge/
    packages:
      linux-64:
      - conda: https://conda.anaconda.org/conda-forge/noarch/cuda-version-12.9-h4f385c5_3.conda
packages:
- conda: https://conda.anaconda.org/conda-forge/noarch/cuda-version-12.9-h4f385c5_3.conda
  sha256: 5f5f428031933f117ff9f7fcc650e6ea1b3fef5936cf84aa24af79167513b656
  md5: b6d5d7f1c171cbd228ea06b556cfa859
  constrains:
  - cudatoolkit 12.9|12.9.*
  - __cuda >=12
  license: LicenseRef-NVIDIA-End-User-License-Agreement
  size: 21578
  timestamp: 1746134436166
`;

export const PIXI_TOML = `# A small workspace of someone else's: one task that writes a result.
[workspace]
name = "hello-gpu"
channels = ["conda-forge"]   # keep this comment
platforms = ["linux-64"]

[system-requirements]
cuda = "12.9"

[dependencies]
cuda-version = "12.9.*"

[tasks]
hello = { cmd = "python hello.py --out result.txt", outputs = ["result.txt"] }
`;

export const PYPROJECT_TOML = `[project]
name = "hello-py"
version = "0.1.0"

# pixi reads this table; the rest is the Python package's.
[tool.pixi.workspace]
channels = ["conda-forge"]
platforms = ["linux-64"]

[tool.pixi.system-requirements]
cuda = "12.9"

[tool.pixi.dependencies]
cuda-version = "12.9.*"

[tool.pixi.tasks]
fit = "python fit.py"
report = "python report.py"
`;

/**
 * pixi makes a pyproject.toml's environment depend on python (requires-python, or any): its lock
 * holds python's record too (from the same lock; only a solver would follow its depends).
 */
export const PYPROJECT_LOCK = LOCK.replace(
  '      - conda: https://conda.anaconda.org/conda-forge/noarch/cuda-version-12.9-h4f385c5_3.conda\n',
  '      - conda: https://conda.anaconda.org/conda-forge/noarch/cuda-version-12.9-h4f385c5_3.conda\n' +
    '      - conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.13.10-hc97d973_100_cp313.conda\n',
).concat(`- conda: https://conda.anaconda.org/conda-forge/linux-64/python-3.13.10-hc97d973_100_cp313.conda
  build_number: 100
  sha256: fbc193c94b72b09b1e5b4ae7d65764b90bb9e6e4d672481d91d8769ab20e909e
  md5: 9e9d4de52c55af3563a00981fb39cbed
  depends:
  - __glibc >=2.17,<3.0.a0
  - bzip2 >=1.0.8,<2.0a0
  - ld_impl_linux-64 >=2.36.1
  - libexpat >=2.7.3,<3.0a0
  - libffi >=3.5.2,<3.6.0a0
  - libgcc >=14
  - liblzma >=5.8.1,<6.0a0
  - libmpdec >=4.0.0,<5.0a0
  - libsqlite >=3.51.1,<4.0a0
  - libuuid >=2.41.2,<3.0a0
  - libzlib >=1.3.1,<2.0a0
  - ncurses >=6.5,<7.0a0
  - openssl >=3.5.4,<4.0a0
  - python_abi 3.13.* *_cp313
  - readline >=8.2,<9.0a0
  - tk >=8.6.13,<8.7.0a0
  - tzdata
  license: Python-2.0
  size: 37104697
  timestamp: 1764755723771
`);

export interface Workspace {
  root: string;
  read(file: string): string;
  write(file: string, text: string): void;
  remove(): void;
}

export function makeWorkspace(files: Record<string, string>, prefix = 'pixi-condor-extension-'): Workspace {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const write = (file: string, text: string) => {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  for (const [file, text] of Object.entries(files)) write(file, text);
  return {
    root,
    read: (file) => readFileSync(join(root, file), 'utf8'),
    write,
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function pixiWorkspace(): Workspace {
  return makeWorkspace({ 'pixi.toml': PIXI_TOML, 'pixi.lock': LOCK, 'hello.py': 'print("hello")\n' });
}
