using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace SandboxGrains.EndToEnd.Tests;

/// <summary>
/// A real app inside a real sandbox for the preview tests: a Python HTTP server on port 8080 (and on 127.0.0.1:8081) that answers GET with what
/// it received (raw request target, headers and the address it came from, as JSON), echoes POST bodies, and echoes WebSocket messages; <c>/slow?seconds=N</c> sends
/// its headers at once and then one line a second; <c>/chunked?count=N</c>, <c>/until-close</c>, <c>/nothing</c> (204), <c>HEAD</c>, <c>/odd-header</c> (a byte above ASCII in a header), <c>/broken/…</c> (answers no proxy can pass on) and
/// <c>/then-hang-up</c> answer in each framing HTTP/1.1 has; <c>/page</c>
/// is an HTML page whose script opens a WebSocket back to its own origin and shows the echo (the browser test). Python's
/// standard library only, so it runs in <c>sandboxgrains/base:latest</c> with nothing installed.
/// </summary>
internal static class PreviewApp
{
    public const int Port = 8080;

    /// <summary>The same app, listening on 127.0.0.1 only: reachable through the daemon, not on the container's address.</summary>
    public const int LoopbackOnlyPort = 8081;

    internal const string Script = """"
        import base64, hashlib, http.server, json, struct, threading, time

        PAGE = b"""<!doctype html>
        <title>preview page</title>
        <p id="out"></p>
        <script>
          const out = document.getElementById("out");
          const socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
          socket.onopen = () => socket.send("hello from " + location.host);
          socket.onmessage = (event) => { out.textContent = "echoed: " + event.data; socket.close(); };
          socket.onerror = () => { out.textContent = "websocket error"; };
        </script>
        """

        BROKEN = {
            "/broken/not-http": b"hello, this is not HTTP\r\n\r\n",
            "/broken/two-lengths": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
            "/broken/huge-head": b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Filler-%d: %s\r\n" % (i, b"x" * 1000) for i in range(80)) + b"\r\n",
            "/broken/cut-short": b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b",
        }

        # Echo requests in progress, finished whole, and cut off (by the client or a proxy) before their body ended.
        ECHOES = {"active": 0, "whole": 0, "cut": 0}
        ECHOES_LOCK = threading.Lock()

        def count_echo(key, step):
            with ECHOES_LOCK:
                ECHOES[key] += step

        class Cut(Exception):
            pass

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.headers.get("Upgrade", "").lower() == "websocket":
                    return self.websocket()
                if self.path == "/page":
                    return self.answer(200, PAGE, "text/html; charset=utf-8")
                if self.path.startswith("/slow?seconds="):
                    return self.slow(int(self.path.split("=", 1)[1]))
                if self.path.startswith("/chunked?count="):
                    return self.chunked(int(self.path.split("=", 1)[1]))
                if self.path == "/until-close":
                    # No length, no chunks: the body ends when the connection does.
                    self.send_response(200)
                    self.send_header("Connection", "close")
                    self.end_headers()
                    self.wfile.write(b"all of it, then the connection closes\n" * 1000)
                    self.close_connection = True
                    return
                if self.path == "/odd-header":
                    # Python writes header values as Latin-1: the é goes out as the single byte 0xE9.
                    self.send_response(200)
                    self.send_header("Content-Disposition", 'attachment; filename="caf\u00e9.txt"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.path in BROKEN:
                    # Answers no proxy can pass on, written as raw bytes; the connection is closed after each.
                    self.wfile.write(BROKEN[self.path])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                if self.path == "/echo-stats":
                    return self.answer(200, json.dumps(ECHOES).encode(), "application/json")
                if self.path == "/nothing":
                    self.send_response(204)
                    self.end_headers()
                    return
                if self.path == "/then-hang-up":
                    # A kept-alive answer (no "Connection: close"), and then the app drops the connection anyway, as a
                    # dev server does when its keep-alive timeout passes: the next request must not die on it.
                    self.answer(200, b"bye\n", "text/plain")
                    self.close_connection = True
                    return
                body = json.dumps({"target": self.path, "peer": self.client_address[0], "headers": [[k, v] for k, v in self.headers.items()]}).encode()
                self.answer(200, body, "application/json")

            def do_HEAD(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", "12345")
                self.end_headers()

            def chunked(self, count):
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for i in range(count):
                    data = f"chunk {i}\n".encode() * (i + 1)
                    self.wfile.write(f"{len(data):x};ext=1\r\n".encode() + data + b"\r\n")
                self.wfile.write(b"0\r\nX-Trailer: dropped\r\n\r\n")

            def do_POST(self):
                if self.path.endswith("/echo-stream"):
                    return self.echo_stream()
                if self.path.endswith("/reject-early"):
                    return self.reject_early()
                length = int(self.headers.get("Content-Length") or 0)
                self.answer(200, self.rfile.read(length), "application/octet-stream")

            def pieces(self, left):
                # Up to `left` bytes of the body, a piece at a time as they arrive; a body that stops short is a cut.
                while left > 0:
                    piece = self.rfile.read1(min(left, 65536))
                    if not piece:
                        raise Cut()
                    left -= len(piece)
                    yield piece

            def body_pieces(self):
                # The request body as it arrives (Content-Length or chunked).
                length = self.headers.get("Content-Length")
                if length is not None:
                    yield from self.pieces(int(length))
                    return
                while True:
                    size = int(self.rfile.readline().split(b";")[0], 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b""):
                            pass
                        return
                    yield from self.pieces(size)
                    self.rfile.readline()

            def echo_stream(self):
                # Each piece goes back as soon as it is read: the answer flows while the upload still arrives.
                length = self.headers.get("Content-Length")
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if length is not None:
                    self.send_header("Content-Length", length)
                else:
                    self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                self.wfile.flush()
                count_echo("active", 1)
                try:
                    for piece in self.body_pieces():
                        self.wfile.write(piece if length is not None else b"%x\r\n%s\r\n" % (len(piece), piece))
                    if length is None:
                        self.wfile.write(b"0\r\n\r\n")
                    count_echo("whole", 1)
                except (Cut, OSError):
                    count_echo("cut", 1)
                    self.close_connection = True
                finally:
                    count_echo("active", -1)

            def reject_early(self):
                # An upload endpoint that refuses after 1 KB and then stops reading, holding the connection open: only a
                # proxy that passes the answer on before the upload ends gets the 413 to the client in time.
                self.rfile.read(1024)
                self.send_response(413)
                body = b'{"error":"too large"}'
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                time.sleep(60)
                self.close_connection = True

            def answer(self, status, body, kind):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def slow(self, seconds):
                # A download that stays in flight: the headers now, then one line a second.
                lines = [f"tick {i}\n".encode() for i in range(seconds)]
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(sum(len(line) for line in lines)))
                self.end_headers()
                self.wfile.flush()
                for line in lines:
                    time.sleep(1)
                    self.wfile.write(line)
                    self.wfile.flush()

            def websocket(self):
                key = self.headers["Sec-WebSocket-Key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
                self.send_response(101)
                self.send_header("Upgrade", "websocket")
                self.send_header("Connection", "Upgrade")
                self.send_header("Sec-WebSocket-Accept", base64.b64encode(hashlib.sha1(key.encode()).digest()).decode())
                self.end_headers()
                self.wfile.flush()
                while True:
                    first, second = self.rfile.read(2)
                    opcode, length = first & 0x0F, second & 0x7F
                    if length == 126:
                        length = struct.unpack(">H", self.rfile.read(2))[0]
                    elif length == 127:
                        length = struct.unpack(">Q", self.rfile.read(8))[0]
                    mask = self.rfile.read(4)
                    data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
                    if opcode == 8:
                        self.wfile.write(bytes([0x88, len(data)]) + data)
                        self.wfile.flush()
                        self.close_connection = True
                        return
                    header = bytes([0x80 | opcode]) + (bytes([len(data)]) if len(data) < 126 else bytes([126]) + struct.pack(">H", len(data)))
                    self.wfile.write(header + data)
                    self.wfile.flush()

        # The same app on a second port, reachable only from inside the sandbox (as many dev servers bind by default).
        threading.Thread(target=http.server.ThreadingHTTPServer(("127.0.0.1", 8081), Handler).serve_forever, daemon=True).start()
        http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler).serve_forever()
        """";

    /// <summary>A new sandbox (Debian base image) with the app running and answering on <see cref="Port"/>.</summary>
    public static async Task<Sandbox> CreateSandboxWithAppAsync(SiloProcess silo, SandboxGrainsHttpClient client, CancellationToken cancellationToken)
    {
        var sandbox = await client.CreateSandboxAsync(new CreateSandboxRequest { Image = "sandboxgrains/base:latest", Cpu = 0.5, MemoryMb = 256 }, cancellationToken);
        await StartAsync(silo, client, sandbox.Id, cancellationToken);
        var probe = await client.CreatePreviewAsync(sandbox.Id, Port, cancellationToken: cancellationToken);
        using var browser = new HttpClient(LoopbackHandler(silo));
        await Eventually.WaitAsync(async () => (await browser.GetAsync(probe.Url, cancellationToken)).StatusCode, s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "the app answering");
        await client.RevokePreviewAsync(probe.Token!, cancellationToken);
        return sandbox;
    }

    /// <summary>Uploads the app through the toolbox and starts it as an async session command.</summary>
    public static async Task StartAsync(SiloProcess silo, SandboxGrainsHttpClient client, string sandboxId, CancellationToken cancellationToken)
    {
        await client.UploadFileAsync(sandboxId, "/opt/app.py", new MemoryStream(Encoding.UTF8.GetBytes(Script)), cancellationToken);
        using var http = silo.CreateClient();
        (await http.PostAsJsonAsync($"/toolbox/{sandboxId}/process/session", new { sessionId = "app" }, cancellationToken)).EnsureSuccessStatusCode().Dispose();
        (await http.PostAsJsonAsync($"/toolbox/{sandboxId}/process/session/app/exec", new { command = "python3 /opt/app.py", runAsync = true }, cancellationToken))
            .EnsureSuccessStatusCode().Dispose();

        // Both ports listening, seen from inside (the daemon's /port), before any link is used: a link's first request
        // refused on the container's address would send that port through the daemon for a while, and the tests would
        // not exercise the direct path.
        await Eventually.WaitAsync(
            async () => JsonDocument.Parse(await http.GetStringAsync($"/toolbox/{sandboxId}/port", cancellationToken)).RootElement
                .GetProperty("ports").EnumerateArray().Select(p => p.GetInt32()).ToHashSet(),
            ports => ports.Contains(Port) && ports.Contains(LoopbackOnlyPort),
            TimeSpan.FromSeconds(15),
            "the app listening on both its ports");
    }

    /// <summary>
    /// An HTTP handler that sends every connection to the silo on loopback, whatever the host name says: what a browser
    /// does for <c>*.localhost</c>, without depending on this machine's resolver.
    /// </summary>
    public static SocketsHttpHandler LoopbackHandler(SiloProcess silo) => new()
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, silo.HttpPort), cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        },
    };
}
