# smsslab in a container, for the sharded corpus runs of docs/scale.md
# (Kubernetes Indexed Jobs, Slurm with a container runtime).
#   podman build -t smsslab:$(cat VERSION) .      (or docker build)
#   podman run --rm -v "$PWD/out:/data" smsslab:0.1.0 corpus -n 1000 --seed 7 -o /data/c
# The build stage makes the Debian package (make deb); the image installs
# it with apt, which pulls exactly the libraries its Depends name.
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends make git ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# scripts/deps.sh installs the build packages (as root, with apt-get).
RUN apt-get update && rm -rf build && make deb && rm -rf /var/lib/apt/lists/*

FROM debian:12-slim
COPY --from=build /src/build/deb/*.deb /tmp/
RUN apt-get update && apt-get install -y --no-install-recommends /tmp/smsslab_*.deb \
    && rm -rf /var/lib/apt/lists/* /tmp/smsslab_*.deb \
    && useradd --system --home-dir /data smsslab && mkdir -p /data && chown smsslab /data
USER smsslab
WORKDIR /data
ENTRYPOINT ["smsslab"]
CMD ["--help"]
