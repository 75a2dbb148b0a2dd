using System.Text.Json.Serialization;

namespace SandboxGrains.Daemon.Http;

/// <summary>Source-generated JSON for every shape the daemon reads or writes (no reflection under Native AOT).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(VersionDto))]
[JsonSerializable(typeof(DirDto))]
[JsonSerializable(typeof(ExecuteRequest))]
[JsonSerializable(typeof(ExecuteResponse))]
[JsonSerializable(typeof(CodeRunRequest))]
[JsonSerializable(typeof(CodeRunResponse))]
[JsonSerializable(typeof(CreateSessionRequest))]
[JsonSerializable(typeof(SessionExecuteRequest))]
[JsonSerializable(typeof(SessionExecuteResponse))]
[JsonSerializable(typeof(CommandDto))]
[JsonSerializable(typeof(SessionDto))]
[JsonSerializable(typeof(List<SessionDto>))]
[JsonSerializable(typeof(LogsDto))]
[JsonSerializable(typeof(InputRequest))]
[JsonSerializable(typeof(FileInfoDto))]
[JsonSerializable(typeof(List<FileInfoDto>))]
[JsonSerializable(typeof(List<FindMatch>))]
[JsonSerializable(typeof(SearchResult))]
[JsonSerializable(typeof(ReplaceRequest))]
[JsonSerializable(typeof(List<ReplaceResult>))]
[JsonSerializable(typeof(BulkDownloadRequest))]
[JsonSerializable(typeof(UploadResult))]
[JsonSerializable(typeof(PortsDto))]
[JsonSerializable(typeof(PortInUseDto))]
[JsonSerializable(typeof(UpdateEnvRequest))]
[JsonSerializable(typeof(ClaimDto))]
internal sealed partial class DaemonJson : JsonSerializerContext;
