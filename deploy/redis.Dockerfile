# Redis for compose.yaml, from Debian's redis-server package (no registry is reachable here);
# `tools/build-images.sh redis` builds it.
FROM sandboxgrains/base:latest
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["redis-server"]
