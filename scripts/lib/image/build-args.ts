// The build args an image is built with: the Dockerfile's ARG defaults, the environment the
// config ships, and the [tool.pixi-condor] build-args (or --build-arg) overrides. The same map
// is hashed into the content tag and passed to `docker build`, so the two cannot drift.
import { UsageError, UserError } from '../errors.ts';
import { MANIFEST, type TemplateConfig } from '../workspace.ts';
import { PREDEFINED_ARGS } from './dockerfile.ts';

export interface BuildArgs {
  /** What `docker build` receives as --build-arg (config overrides and ENVIRONMENT). */
  passed: Map<string, string>;
  /** Every declared ARG with the value the build will see (defaults included), sorted by name. */
  effective: Map<string, string>;
}

/**
 * `fromCommandLine`: the names given with --build-arg; one the Dockerfile does not declare is a
 * usage error (exit 2) naming the argument, not a mistake in the manifest (`manifestFile`:
 * pixi.toml or pyproject.toml, for messages).
 */
export function resolveBuildArgs(
  declared: Map<string, string | null>,
  config: TemplateConfig,
  dockerfile: string,
  fromCommandLine: ReadonlySet<string> = new Set(),
  manifestFile = MANIFEST,
): BuildArgs {
  const passed = new Map<string, string>();
  // The Dockerfile names the environment it installs ENVIRONMENT; keep it equal to the config's.
  if (declared.has('ENVIRONMENT')) passed.set('ENVIRONMENT', config.environment);
  for (const [name, value] of Object.entries(config.buildArgs)) {
    if (!declared.has(name) && !PREDEFINED_ARGS.has(name)) {
      if (fromCommandLine.has(name)) {
        const known = [...declared.keys()].sort().join(', ') || 'none';
        throw new UsageError(
          `--build-arg ${name}=…: ${dockerfile} declares no ARG ${name}`,
          `the Dockerfile's ARGs: ${known}; or declare \`ARG ${name}\` in ${dockerfile}`,
        );
      }
      throw new UserError(`build arg ${name} is not an ARG in ${dockerfile}`, {
        file: manifestFile,
        hint: `declare \`ARG ${name}\` in ${dockerfile} or remove it from [tool.pixi-condor.build-args]`,
      });
    }
    passed.set(name, value);
  }
  const effective = new Map<string, string>();
  for (const name of [...new Set([...declared.keys(), ...passed.keys()])].sort()) {
    const value = passed.get(name) ?? declared.get(name);
    if (value !== null && value !== undefined) effective.set(name, value);
  }
  return { passed, effective };
}
