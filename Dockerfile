# The training image: the locked pixi environment, activated by an entrypoint.
# Two stages, as CHTC's templates-GPUs containers/pixi recipe: install in a build stage,
# copy only the environment (at the same prefix: conda environments are not relocatable)
# into the final stage. Build it with `pixi run build-image`, which tags it by content.
#
# No "# syntax=" line on purpose: BuildKit would pull a frontend image for it.

# Both base images are arguments so a fork (or a test without network) can swap them.
# The pixi image's pixi must be at least the pixi that wrote pixi.lock (v6: >= 0.39).
ARG BUILD_IMAGE="ghcr.io/prefix-dev/pixi:0.76.1-noble"
# The final stage keeps pixi, so `pixi run` works inside the job too.
ARG FINAL_IMAGE="ghcr.io/prefix-dev/pixi:0.76.1-noble"
# Must equal the cuda of pixi.toml's linux-64 platform entry (pixi run validate checks it).
ARG CUDA_VERSION="12.9"
ARG ENVIRONMENT="default"

FROM ${BUILD_IMAGE} AS build

# Redeclaring an ARG in a stage without a value inherits the global default.
ARG CUDA_VERSION
ARG ENVIRONMENT

WORKDIR /app
# Only the manifest and the lock: editing job code never invalidates the environment layer.
COPY pixi.toml pixi.lock ./
# The build machine has no GPU; tell the solver the CUDA the execute point will have.
ENV CONDA_OVERRIDE_CUDA=${CUDA_VERSION}
# --locked: fail loudly if pixi.lock is out of date with pixi.toml instead of re-solving.
RUN pixi install --locked --environment "${ENVIRONMENT}"
# Activate the environment at run time: the shell hook, then exec the job's command.
RUN echo '#!/usr/bin/env bash' > /app/entrypoint.sh && \
    pixi shell-hook --environment "${ENVIRONMENT}" --shell bash >> /app/entrypoint.sh && \
    echo 'exec "$@"' >> /app/entrypoint.sh && \
    chmod 0755 /app/entrypoint.sh

FROM ${FINAL_IMAGE} AS final

ARG ENVIRONMENT

WORKDIR /app
COPY --from=build /app/.pixi/envs/${ENVIRONMENT} /app/.pixi/envs/${ENVIRONMENT}
COPY --from=build /app/pixi.toml /app/pixi.toml
COPY --from=build /app/pixi.lock /app/pixi.lock
# The ignore files are needed for `pixi run` to work in the container.
COPY --from=build /app/.pixi/.gitignore /app/.pixi/.gitignore
COPY --from=build /app/.pixi/.condapackageignore /app/.pixi/.condapackageignore
COPY --from=build /app/entrypoint.sh /app/entrypoint.sh

ENTRYPOINT [ "/app/entrypoint.sh" ]
