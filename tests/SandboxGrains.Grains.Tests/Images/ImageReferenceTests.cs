using System.Text;
using SandboxGrains.Docker;
using SandboxGrains.Images;
using Xunit;

namespace SandboxGrains.Grains.Tests.Images;

/// <summary>Image references read as Docker reads them, and registry credentials found for their registry.</summary>
public sealed class ImageReferenceTests
{
    public static TheoryData<string, string?, string, string?, string?> Valid => new()
    {
        { "busybox", null, "busybox", null, null },
        { "python:3.12-slim", null, "python", "3.12-slim", null },
        { "team/app:1", null, "team/app", "1", null },
        { "127.0.0.1:5000/team/app:1", "127.0.0.1:5000", "team/app", "1", null },
        { "registry.example.com/app", "registry.example.com", "app", null, null },
        { "localhost/app:v2", "localhost", "app", "v2", null },
        { "sandboxgrains/archive:sbx_1", null, "sandboxgrains/archive", "sbx_1", null },
        { $"app@sha256:{new string('a', 64)}", null, "app", null, $"sha256:{new string('a', 64)}" },
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void TryParse_ValidReference_SplitsRegistryRepositoryTagAndDigest(string text, string? registry, string repository, string? tag, string? digest)
    {
        Assert.True(ImageReference.TryParse(text, out var reference, out var problem), problem);
        Assert.Equal(new ImageReference(registry, repository, tag, digest), reference);
        Assert.Equal(registry ?? "docker.io", reference.RegistryHost);
        Assert.Equal(text, reference.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("SandboxGrains/BusyBox")]
    [InlineData("busybox::1")]
    [InlineData("busybox:with space")]
    [InlineData("/busybox")]
    [InlineData("team//app")]
    [InlineData("app@sha256:xyz")]
    [InlineData("app:-leading-dash")]
    public void TryParse_Malformed_RefusedWithAReason(string text)
    {
        Assert.False(ImageReference.TryParse(text, out var reference, out var problem));
        Assert.Null(reference);
        Assert.False(string.IsNullOrEmpty(problem));
    }

    [Fact]
    public void RegistryOptions_ConfiguredLoginWinsOverTheConfigFile_FileEntriesFoundByHost()
    {
        var file = Path.GetTempFileName();
        try
        {
            var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes("carol:from-file"));
            File.WriteAllText(file, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["auths"] = new Dictionary<string, object>
                {
                    ["https://index.docker.io/v1/"] = new { auth = encoded },
                    ["127.0.0.1:5000"] = new { auth = encoded },
                },
            }));
            var options = new RegistryOptions { ConfigFile = file };
            options.Logins["127.0.0.1:5000"] = new RegistryLogin("alice", "configured");

            Assert.Equal(new RegistryAuth("127.0.0.1:5000", "alice", "configured"), options.For("127.0.0.1:5000"));
            Assert.Equal(new RegistryAuth("docker.io", "carol", "from-file"), options.For("docker.io"));
            Assert.Null(options.For("registry.example.com"));
            Assert.DoesNotContain("configured", options.For("127.0.0.1:5000")!.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
