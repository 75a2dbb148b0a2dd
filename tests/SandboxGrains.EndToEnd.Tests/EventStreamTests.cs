using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// <c>GET /api/v1/events</c> as a real Server-Sent Events client reads it: a sandbox's life seen live, filtered by label,
/// and again after a reconnect with <c>Last-Event-ID</c>; an id the silo does not know gets a <c>reset</c>.
/// </summary>
public sealed class EventStreamTests(SandboxSiloFixture fixture) : IClassFixture<SandboxSiloFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SandboxLife_IsStreamedLive_FilteredByLabel_AndReplayedAfterAReconnect()
    {
        var label = $"ev-{Guid.NewGuid():N}";
        using var http = fixture.Silo.CreateClient();
        using var live = await ServerSentEvents.OpenAsync(http, $"/api/v1/events?label=case={label}", await ServerSentEvents.CurrentIdAsync(http));

        // Another sandbox's events do not match the filter.
        var other = await fixture.Client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64 }, Ct);
        var sandbox = await fixture.Client.CreateSandboxAsync(new CreateSandboxRequest
        {
            Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, Labels = new Dictionary<string, string> { ["case"] = label },
        }, Ct);
        await fixture.Client.StopSandboxAsync(sandbox.Id, Ct);
        await fixture.Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        await fixture.Client.DeleteSandboxAsync(other.Id, cancellationToken: Ct);

        var seen = await live.ReadUntilAsync(e => e.Type == "sandbox.deleted", TimeSpan.FromSeconds(30));
        Assert.Equal(
            ["sandbox.created", "sandbox.state.updated", "sandbox.state.updated", "sandbox.state.updated", "sandbox.state.updated", "sandbox.deleted"],
            seen.Select(e => e.Type));
        Assert.All(seen, e => Assert.Equal(sandbox.Id, e.Data.GetProperty("sandboxId").GetString()));
        Assert.Equal(["creating", "started", "stopping", "stopped", "destroying", "destroyed"], seen.Select(e => e.Data.GetProperty("to").GetString()));
        Assert.Equal("stopped on request", seen[3].Data.GetProperty("reason").GetString());
        Assert.Equal(label, seen[0].Data.GetProperty("sandbox").GetProperty("labels").GetProperty("case").GetString());

        // Back after a break: everything after the last id it saw, from this silo's buffer.
        using (var resumed = await ServerSentEvents.OpenAsync(http, $"/api/v1/events?label=case={label}", lastEventId: seen[1].Id))
        {
            var replayed = await resumed.ReadUntilAsync(e => e.Type == "sandbox.deleted", TimeSpan.FromSeconds(10));
            Assert.Equal(seen.Skip(2).Select(e => e.Id), replayed.Select(e => e.Id));
        }

        // An id this silo never gave out (another silo's, or from before a restart): told to re-list.
        using var lost = await ServerSentEvents.OpenAsync(http, "/api/v1/events", lastEventId: "0-1");
        Assert.Equal("reset", (await lost.ReadUntilAsync(_ => true, TimeSpan.FromSeconds(10)))[0].Type);
    }

    [Fact]
    public async Task DotNetClient_WatchesASandboxsLife_AsAnAsyncStream()
    {
        var label = $"client-{Guid.NewGuid():N}";

        string now;
        using (var http = fixture.Silo.CreateClient())
        {
            now = await ServerSentEvents.CurrentIdAsync(http);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        stop.CancelAfter(TimeSpan.FromSeconds(60));
        var watched = new List<SandboxGrains.Events.EventMessage>();
        var watching = Task.Run(async () =>
        {
            await foreach (var e in fixture.Client.WatchEventsAsync(labels: new Dictionary<string, string> { ["case"] = label }, lastEventId: now, cancellationToken: stop.Token))
            {
                watched.Add(e);
                if (e.Type == "sandbox.deleted")
                {
                    return;
                }
            }
        }, Ct);

        var sandbox = await fixture.Client.CreateSandboxAsync(new CreateSandboxRequest
        {
            Image = "sandboxgrains/busybox:latest", Cpu = 0.25, MemoryMb = 64, Labels = new Dictionary<string, string> { ["case"] = label },
        }, Ct);
        await fixture.Client.DeleteSandboxAsync(sandbox.Id, cancellationToken: Ct);
        await watching;

        Assert.Equal(["creating", "started", "destroying", "destroyed"], watched.Select(e => e.To));
        Assert.All(watched, e => Assert.Equal(sandbox.Id, e.Sandbox?.Id));
    }

    [Fact]
    public async Task Events_WithoutAnApiKey_Are401()
    {
        using var http = fixture.Silo.CreateClient(authenticated: false);
        using var response = await http.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
