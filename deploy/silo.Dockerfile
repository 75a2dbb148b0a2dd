# The silo image. No registry is reachable, so it starts FROM the locally imported Debian image
# (tools/build-images.sh base) and adds the self-contained published silo; `tools/build-images.sh silo` builds it.
# The build context is a folder holding `silo/` (dotnet publish -r linux-x64 --self-contained).
FROM sandboxgrains/base:latest
COPY silo/ /app/
ENV Urls=http://0.0.0.0:5080 \
    DOTNET_gcServer=1
WORKDIR /app
ENTRYPOINT ["/app/SandboxGrains.Silo"]
