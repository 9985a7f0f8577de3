// The environment variables (also read from .env) the scripts look up: one list, so validate's
// "unknown .env key" warning cannot drift from what build-image and the others really read.

/** [user, token] pairs build-image accepts, in the order it tries them. */
export const REGISTRY_CREDENTIALS: readonly [string, string] = ['REGISTRY_USER', 'REGISTRY_TOKEN'];
/** Set by GitHub Actions; accepted for ghcr.io only. */
export const GITHUB_CREDENTIALS: readonly [string, string] = ['GITHUB_ACTOR', 'GITHUB_TOKEN'];

/** The secret half of each credential pair: its value is masked wherever it could appear. */
export const TOKEN_KEYS: readonly string[] = [REGISTRY_CREDENTIALS[1], GITHUB_CREDENTIALS[1]];

export const KNOWN_ENV_KEYS: readonly string[] = [
  ...REGISTRY_CREDENTIALS,
  ...GITHUB_CREDENTIALS,
  'GITHUB_REPOSITORY_OWNER',
  'DOCKER_HOST',
  'DOCKER_BUILDKIT',
  'DOCKER_CONFIG',
  'PIXI_CONDOR_ENGINE',
  'NO_COLOR',
  'FORCE_COLOR',
];
